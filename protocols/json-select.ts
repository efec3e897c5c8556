/**
 * A small, documented subset of JSONPath (RFC 9535) for picking fields out of a provider's JSON
 * (cloud/providers: the generic HTTP pull). Supported, and nothing else:
 *
 * - `$` the root; `.name` or `['name']` a member; `[3]` an array element (0-based, non-negative);
 * - `[*]` or `.*` every element of an array (or every member value of an object), in order.
 *
 * No filters, slices, recursive descent or functions: a path with anything else is refused when
 * the config is read (parseJsonPath), not when data arrives. Pure: imports nothing of ours.
 */

export type PathStep = { readonly kind: 'member'; readonly name: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'wildcard' };

/** A parsed path; `problem` says what is wrong with a path that does not parse. */
export type ParsedPath = { readonly ok: true; readonly steps: readonly PathStep[] } | { readonly ok: false; readonly problem: string };

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*/;

/** Parses `$.data[*].value`-style text; RFC 9535 §2.5.1 (child segment) and §2.3.2 (wildcard) only. */
export function parseJsonPath(text: string): ParsedPath {
  if (!text.startsWith('$')) return { ok: false, problem: "a path starts with '$'" };
  const steps: PathStep[] = [];
  let i = 1;
  while (i < text.length) {
    const rest = text.slice(i);
    if (rest.startsWith('.*')) {
      steps.push({ kind: 'wildcard' });
      i += 2;
    } else if (rest.startsWith('[*]')) {
      steps.push({ kind: 'wildcard' });
      i += 3;
    } else if (rest.startsWith('.')) {
      const m = NAME.exec(rest.slice(1));
      if (m === null) return { ok: false, problem: `a member name expected at ${i + 1}` };
      steps.push({ kind: 'member', name: m[0] });
      i += 1 + m[0].length;
    } else if (rest.startsWith("['")) {
      const end = rest.indexOf("']", 2);
      if (end < 0) return { ok: false, problem: `unterminated ['…'] at ${i}` };
      steps.push({ kind: 'member', name: rest.slice(2, end) });
      i += end + 2;
    } else if (rest.startsWith('[')) {
      const m = /^\[(\d{1,9})\]/.exec(rest);
      if (m === null) return { ok: false, problem: `only [n], [*] and ['name'] are supported (at ${i})` };
      steps.push({ kind: 'index', index: Number(m[1]) });
      i += m[0].length;
    } else return { ok: false, problem: `unexpected '${rest[0]}' at ${i}` };
  }
  return { ok: true, steps };
}

/** Every value the path selects in `doc`, in document order; none when a step does not exist. */
export function selectJson(doc: unknown, steps: readonly PathStep[]): unknown[] {
  let current: unknown[] = [doc];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of current) {
      if (step.kind === 'wildcard') {
        if (Array.isArray(node)) next.push(...node);
        else if (isObject(node)) next.push(...Object.values(node));
      } else if (step.kind === 'index') {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
      } else if (isObject(node) && Object.hasOwn(node, step.name)) next.push(node[step.name]);
    }
    current = next;
  }
  return current;
}

/** The first value the path selects, undefined when none. */
export function selectOne(doc: unknown, steps: readonly PathStep[]): unknown {
  return selectJson(doc, steps)[0];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
