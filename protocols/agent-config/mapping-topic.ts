/**
 * Topic patterns of MQTT mappings (issue 17 §5): an MQTT topic filter (MQTT 3.1.1 §4.7) whose
 * single-level wildcards may be named. `site/{device}/sensors/{channel}` is the filter
 * `site/+/sensors/+` with two captures; a bare `+` is captured by its position among the
 * wildcards (`{1}`, `{2}`, …); `#` matches the rest and captures nothing. Pure functions.
 */
import { isValidTopicFilter, topicMatches } from './mqtt-acl.ts';

/** A capture name: what goes between the braces, and in the templates that use it. */
const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_]{0,31})\}$/;
/** `{name}` placeholders in a template (device, channel). */
const PLACEHOLDER = /\{([A-Za-z0-9_]{1,32})\}/g;

export interface TopicPattern {
  /** The plain MQTT filter, `+` for every capture. */
  readonly filter: string;
  /** Capture names, in level order: named ones by name, bare `+` by position (1-based). */
  readonly names: readonly string[];
  /** Level index of each capture. */
  readonly levels: readonly number[];
  /** The first level when it is literal: the namespace the mapping claims (README), else undefined. */
  readonly root: string | undefined;
}

export type PatternProblem = { readonly ok: false; readonly message: string };

/** Compiles a pattern, or says what is wrong with it. */
export function compileTopicPattern(pattern: string): { readonly ok: true; readonly pattern: TopicPattern } | PatternProblem {
  const levels = pattern.split('/');
  const names: string[] = [];
  const at: number[] = [];
  let wildcards = 0;
  const plain = levels.map((level, i) => {
    if (level === '+') {
      wildcards++;
      names.push(String(wildcards));
      at.push(i);
      return '+';
    }
    const m = CAPTURE.exec(level);
    if (m !== null) {
      wildcards++;
      names.push(m[1] as string);
      at.push(i);
      return '+';
    }
    if (level.includes('{') || level.includes('}')) return '\u0000';
    return level;
  });
  const filter = plain.join('/');
  if (filter.includes('\u0000')) return { ok: false, message: 'a capture is a whole level: {name} with letters, digits, _ (1–32, not starting with a digit)' };
  if (!isValidTopicFilter(filter))
    return { ok: false, message: 'not a valid MQTT topic filter (MQTT 3.1.1 §4.7): `+` and `#` only as whole levels, `#` only last' };
  if (new Set(names).size !== names.length) return { ok: false, message: 'a capture name is used twice' };
  const first = plain[0] as string;
  if (first === '+' || first === '#' || first === '')
    return { ok: false, message: 'the first level must be literal (e.g. gaslyt/{device}/data): it names the topics the mapping takes from the broker' };
  if (first.startsWith('$')) return { ok: false, message: '$ topics are reserved to the broker (MQTT 3.1.1 §4.7.2)' };
  return { ok: true, pattern: { filter, names, levels: at, root: first } };
}

/** The captures of `topic` by name, or undefined when it does not match the pattern. */
export function matchTopic(p: TopicPattern, topic: string): Record<string, string> | undefined {
  if (!topicMatches(p.filter, topic)) return undefined;
  const levels = topic.split('/');
  const out: Record<string, string> = {};
  p.names.forEach((name, i) => {
    out[name] = levels[p.levels[i] as number] as string;
  });
  return out;
}

/** Placeholder names a template uses. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/** Fills `{name}` placeholders from captures; a name without a capture stays as written. */
export function fillTemplate(template: string, captures: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => captures[name] ?? whole);
}
