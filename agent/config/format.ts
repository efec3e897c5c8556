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

/** The keys the schema accepts at `path`, to suggest the right spelling of an unknown key. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = (): void => {
    while (def.innerType !== undefined && ['optional', 'default', 'prefault', 'nullable'].includes(def.type)) def = def.innerType._zod.def;
  };
  unwrap();
  for (const part of path) {
    if (def.type === 'object' && def.shape !== undefined && typeof part === 'string' && def.shape[part]) def = def.shape[part]._zod.def;
    else if (def.type === 'array' && def.element !== undefined) def = def.element._zod.def;
    else if (def.type === 'record' && def.valueType !== undefined) def = def.valueType._zod.def;
    else return [];
    unwrap();
  }
  return def.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : [];
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
