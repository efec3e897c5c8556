/**
 * MQTT topic names, topic filters and the broker's access rules. Pure functions.
 *
 * Clauses cited are MQTT 3.1.1 (OASIS Standard, 29 October 2014), §4.7 "Topic Names and Topic
 * Filters". ACL patterns are topic filters that may also hold `%u`, replaced by the client's user
 * name before matching, so `atalaya/in/%u/#` lets a device publish only under its own id.
 */

/** [MQTT-4.7.3-3]: topics are UTF-8 strings of at most 65535 bytes. */
const MAX_TOPIC_BYTES = 65_535;

/** §4.7.3: at least one character [MQTT-4.7.3-1], no U+0000 [MQTT-4.7.3-2], at most 65535 bytes. */
function isValidTopicString(topic: string): boolean {
  return topic.length > 0 && !topic.includes('\u0000') && Buffer.byteLength(topic, 'utf8') <= MAX_TOPIC_BYTES;
}

/** A topic name, as in PUBLISH: wildcards are not allowed there [MQTT-4.7.1-1]. */
export function isValidTopicName(topic: string): boolean {
  return isValidTopicString(topic) && !topic.includes('+') && !topic.includes('#');
}

/**
 * A topic filter, as in SUBSCRIBE. `#` only as the whole last level [MQTT-4.7.1-2]; `+` only as a
 * whole level [MQTT-4.7.1-3].
 */
export function isValidTopicFilter(filter: string): boolean {
  if (!isValidTopicString(filter)) return false;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return false;
    if (level.includes('+') && level !== '+') return false;
  }
  return true;
}

/** Levels of a topic, `/`-separated; an empty level is a level (§4.7.1.1: `/finance` has two). */
export function topicLevels(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 0x2f) n++;
  return n;
}

/**
 * Whether `topic` (a name) matches `filter` (§4.7.1). `#` matches the parent level too
 * (`sport/#` matches `sport`, §4.7.1.2); `+` matches exactly one level, possibly empty
 * (`sport/+` matches `sport/` but not `sport`, §4.7.1.3). Filters starting with a wildcard do not
 * match topics starting with `$` [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i] as string;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether every topic `filter` can match is also matched by `pattern`: what a subscription must
 * satisfy, since a client subscribed to `a/#` receives everything under `a`, not only what a
 * narrower rule allows. Wildcards in `filter` are covered only by wildcards in `pattern`.
 */
export function filterCovers(pattern: string, filter: string): boolean {
  if (filter.startsWith('$') && (pattern.startsWith('+') || pattern.startsWith('#'))) return false;
  const p = pattern.split('/');
  const f = filter.split('/');
  for (let i = 0; i < p.length; i++) {
    const level = p[i] as string;
    if (level === '#') return true;
    if (i >= f.length) return false;
    const want = f[i] as string;
    if (want === '#') return false;
    if (level !== '+' && level !== want) return false;
  }
  return p.length === f.length;
}

/** Characters a user name may hold: it is substituted into topics, so no `/`, `+`, `#` (see schema). */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function expandPattern(pattern: string, username: string): string {
  return pattern.replaceAll('%u', username);
}

/** A valid ACL pattern: a topic filter once `%u` is replaced by any allowed user name. */
export function isValidAclPattern(pattern: string): boolean {
  return isValidTopicFilter(expandPattern(pattern, 'u'));
}

export interface AclRules {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

export function mayPublish(rules: AclRules, username: string, topic: string): boolean {
  return rules.publish.some((pattern) => topicMatches(expandPattern(pattern, username), topic));
}

export function maySubscribe(rules: AclRules, username: string, filter: string): boolean {
  return rules.subscribe.some((pattern) => filterCovers(expandPattern(pattern, username), filter));
}
