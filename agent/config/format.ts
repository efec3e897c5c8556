import type { z } from 'zod';
import type { ConfigProblem } from './errors.ts';

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
}

/** The schema's definition at `path`, wrappers (optional, default, …) not unwrapped. */
function defAt(schema: z.ZodType, path: readonly PropertyKey[]): SchemaDef | undefined {
  let def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = (d: SchemaDef): SchemaDef => {
    while (d.innerType !== undefined && ['optional', 'default', 'prefault', 'nullable'].includes(d.type)) d = d.innerType._zod.def;
    return d;
  };
  for (const part of path) {
    const d = unwrap(def);
    if (d.type === 'object' && d.shape !== undefined && typeof part === 'string' && d.shape[part]) def = d.shape[part]._zod.def;
    else if (d.type === 'array' && d.element !== undefined) def = d.element._zod.def;
    else if (d.type === 'record' && d.valueType !== undefined) def = d.valueType._zod.def;
    else return undefined;
  }
  return def;
}

/** The keys the schema accepts at `path`, to suggest the right spelling of an unknown key. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let def = defAt(schema, path);
  while (def?.innerType !== undefined && ['optional', 'default', 'prefault', 'nullable'].includes(def.type)) def = def.innerType._zod.def;
  return def?.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : [];
}

/**
 * A copy of `raw` with what the issues point at taken out (unknown keys; bad values of fields that
 * have a default or are optional), so the checks across fields can still run and report their
 * problems in the same pass. Undefined when an issue cannot be taken out that way.
 */
export function withoutIssues(schema: z.ZodType, raw: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(raw) as Record<PropertyKey, unknown>;
  for (const issue of issues) {
    const parent = issue.path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k], copy) as Record<PropertyKey, unknown> | undefined;
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k], copy) as Record<string, unknown> | undefined;
      for (const key of issue.keys) delete at?.[key];
      continue;
    }
    const last = issue.path.at(-1);
    const def = defAt(schema, issue.path);
    if (last === undefined || parent === undefined || def === undefined || !['optional', 'default', 'prefault'].includes(def.type)) return undefined;
    delete parent[last];
  }
  return copy;
}

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
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}
