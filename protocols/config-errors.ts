import { parseDocument } from 'yaml';
/**
 * Config problems, each with its path, for every Atalaya process (agent, relay): zod issues turned
 * into `devices[2].tcp.port: …` lines, unknown keys with a "did you mean" hint. Pure: no I/O.
 */
import type { z } from 'zod';
import { AtalayaError, CONFIG_INVALID, type CONFIG_UNREADABLE } from './errors.ts';

export type ConfigErrorCode = typeof CONFIG_INVALID | typeof CONFIG_UNREADABLE;

export interface ConfigProblem {
  /** e.g. `devices[2].tcp.port` */
  readonly path: string;
  readonly message: string;
}

/** Every problem of a config file at once, each with its path. */
export class ConfigError extends AtalayaError<ConfigErrorCode> {
  readonly problems: readonly ConfigProblem[];

  constructor(code: ConfigErrorCode, source: string, problems: readonly ConfigProblem[], cause?: unknown) {
    const lines = problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n');
    super(code, `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines}`, { cause, details: { source } });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** `['devices', 2, 'tcp', 'port']` → `devices[2].tcp.port` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  valueType?: { _zod: { def: SchemaDef } };
  options?: Array<{ _zod: { def: SchemaDef } }>;
}

const WRAPPERS = ['optional', 'default', 'prefault', 'nullable'];

function unwrap(def: SchemaDef): SchemaDef {
  while (def.innerType !== undefined && WRAPPERS.includes(def.type)) def = def.innerType._zod.def;
  return def;
}

/** The object shapes the schema accepts at `path` (several for a union of objects). */
function shapesAt(schema: z.ZodType, path: readonly PropertyKey[]): SchemaDef[] {
  let defs = [(schema as unknown as { _zod: { def: SchemaDef } })._zod.def];
  for (const part of path) {
    const next: SchemaDef[] = [];
    for (const raw of defs) {
      const d = unwrap(raw);
      const alternatives = d.type === 'union' && d.options !== undefined ? d.options.map((o) => unwrap(o._zod.def)) : [d];
      for (const a of alternatives) {
        if (a.type === 'object' && a.shape !== undefined && typeof part === 'string' && a.shape[part]) next.push(a.shape[part]._zod.def);
        else if (a.type === 'array' && a.element !== undefined) next.push(a.element._zod.def);
        else if (a.type === 'record' && a.valueType !== undefined) next.push(a.valueType._zod.def);
      }
    }
    defs = next;
  }
  return defs.flatMap((raw) => {
    const d = unwrap(raw);
    return d.type === 'union' && d.options !== undefined ? d.options.map((o) => unwrap(o._zod.def)) : [d];
  });
}

/** The keys the schema accepts at `path`, to suggest the right spelling of an unknown key. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const d of shapesAt(schema, path)) if (d.type === 'object' && d.shape !== undefined) for (const k of Object.keys(d.shape)) keys.add(k);
  return [...keys];
}

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest known key, when close enough to be a typo (about a third of its letters). */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** Zod issues → one problem per offending path, unknown keys with a "did you mean" hint. */
export function problemsFromZod(schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        const list = known.length > 0 ? `; expected one of ${known.join(', ')}` : '';
        out.push({ path: formatPath([...issue.path, key]), message: hint !== undefined ? `unknown key (did you mean '${hint}'?)` : `unknown key${list}` });
      }
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      out.push({ path: formatPath(issue.path), message: `expected one of ${issue.values.map(String).join(', ')}` });
    } else if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
      // A discriminated choice (storage.kind): report the alternative that got furthest.
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      out.push(
        ...problemsFromZod(
          schema,
          best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
        ),
      );
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/** The schema's definition at `path` (wrappers of the last step kept: they say whether it may be left out). */
function defAt(schema: z.ZodType, path: readonly PropertyKey[]): SchemaDef | undefined {
  let def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  for (const part of path) {
    const d = unwrap(def);
    if (d.type === 'object' && d.shape !== undefined && typeof part === 'string' && d.shape[part]) def = d.shape[part]._zod.def;
    else if (d.type === 'array' && d.element !== undefined) def = d.element._zod.def;
    else if (d.type === 'record' && d.valueType !== undefined) def = d.valueType._zod.def;
    else return undefined;
  }
  return def;
}

type Node = Record<PropertyKey, unknown> | undefined;
const at = (root: unknown, path: readonly PropertyKey[]): Node => path.reduce<unknown>((o, k) => (o as Node)?.[k], root) as Node;

/**
 * A copy of `raw` with what the issues point at taken out (unknown keys; bad values of fields that
 * have a default or are optional), so checks across fields can still run and report their
 * problems in the same pass. Undefined when an issue cannot be taken out that way.
 */
export function withoutIssues(schema: z.ZodType, raw: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(raw);
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const node = at(copy, issue.path);
      for (const key of issue.keys) delete node?.[key];
      continue;
    }
    const last = issue.path.at(-1);
    const parent = at(copy, issue.path.slice(0, -1));
    const def = defAt(schema, issue.path);
    if (last === undefined || parent === undefined || def === undefined || !['optional', 'default', 'prefault'].includes(def.type)) return undefined;
    delete parent[last];
  }
  return copy;
}

/** YAML text → plain data, refusing syntax errors and duplicate keys with their line numbers. */
export function parseYamlConfig(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      CONFIG_INVALID,
      source,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}` : '', message: e.message.split('\n')[0] ?? e.code })),
    );
  }
  return doc.toJS() as unknown;
}
