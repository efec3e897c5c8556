/**
 * Field paths of JSON mappings (issue 17 §5): a small JSONPath-style subset that selects one
 * value. `$.ch4`, `ch4`, `data.values[0]`, `$['CH4 (%LEL)']`, `readings[2].v`. No wildcards, no
 * filters: one path, at most one value. Pure functions.
 */

export type PathSegment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*/;
const INDEX = /^\[(\d{1,6})\]/;
const QUOTED = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/;

/** The path's segments, or undefined when it is not in the subset above. */
export function compilePath(path: string): PathSegment[] | undefined {
  let rest = path.startsWith('$') ? path.slice(1) : path;
  const out: PathSegment[] = [];
  // A path that does not start with `$` starts with a name ('ch4', 'data.values[0]').
  let first = !path.startsWith('$');
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if (first || rest.startsWith('.')) {
      if (!first) rest = rest.slice(1);
      first = false;
      m = IDENT.exec(rest);
      if (m === null) return undefined;
      out.push(m[0]);
    } else if ((m = INDEX.exec(rest)) !== null) {
      out.push(Number(m[1]));
    } else if ((m = QUOTED.exec(rest)) !== null) {
      out.push((m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
    } else {
      return undefined;
    }
    rest = rest.slice(m[0].length);
  }
  return out.length === 0 ? undefined : out;
}

/** The value at `path` in `json`, or undefined when any step is missing. Own properties only. */
export function evaluatePath(json: unknown, path: readonly PathSegment[]): unknown {
  let at: unknown = json;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(at)) return undefined;
      at = at[seg];
    } else {
      if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, seg)) return undefined;
      at = (at as Record<string, unknown>)[seg];
    }
  }
  return at;
}
