import { describe, expect, it } from 'vitest';
import { compilePath, evaluatePath } from '../../agent/broker/mapping-path.ts';
import { parseTime } from '../../agent/broker/mapping-time.ts';
import { compileTopicPattern, fillTemplate, matchTopic, type TopicPattern } from '../../agent/broker/mapping-topic.ts';

function pattern(p: string): TopicPattern {
  const c = compileTopicPattern(p);
  if (!c.ok) throw new Error(c.message);
  return c.pattern;
}

describe('mapping topic patterns', () => {
  it('captures named levels and bare + by position', () => {
    const p = pattern('site/{device}/sensors/{channel}');
    expect(p.filter).toBe('site/+/sensors/+');
    expect(matchTopic(p, 'site/pozo-3/sensors/level')).toEqual({ device: 'pozo-3', channel: 'level' });
    expect(matchTopic(p, 'site/pozo-3/sensors')).toBeUndefined();
    expect(matchTopic(p, 'site/pozo-3/sensors/level/x')).toBeUndefined();
    expect(matchTopic(pattern('plant/+/+/#'), 'plant/a/b/c/d')).toEqual({ 1: 'a', 2: 'b' });
    // §4.7.1.2: # matches the parent level too.
    expect(matchTopic(pattern('gaslyt/{device}/#'), 'gaslyt/ABC')).toEqual({ device: 'ABC' });
  });

  it('refuses patterns that are not filters, or whose first level is not literal', () => {
    for (const bad of ['a/{dev}ice/b', 'a/#/b', 'a/b+', '{device}/data', '+/data', '#', '$SYS/{x}', 'a/{x}/{x}', 'a/{1x}'])
      expect(compileTopicPattern(bad).ok, bad).toBe(false);
  });

  it('fills templates from captures', () => {
    expect(fillTemplate('gaslyt-{device}', { device: 'A1' })).toBe('gaslyt-A1');
    expect(fillTemplate('{1}.{2}', { 1: 'x', 2: 'y' })).toBe('x.y');
  });
});

describe('mapping field paths', () => {
  const doc = { ch4: 12.5, data: { values: [1, 2, { v: 3 }] }, 'CH4 %LEL': 7, a: { b: null } };
  it.each([
    ['$.ch4', 12.5],
    ['ch4', 12.5],
    ['data.values[0]', 1],
    ['$.data.values[2].v', 3],
    ["$['CH4 %LEL']", 7],
    ['$["CH4 %LEL"]', 7],
    ['a.b', null],
    ['data.values[9]', undefined],
    ['nope.deeper', undefined],
    ['ch4.x', undefined],
    ['data[0]', undefined],
    ['$.constructor', undefined],
  ])('%s', (path, want) => {
    const compiled = compilePath(path);
    expect(compiled).toBeDefined();
    expect(evaluatePath(doc, compiled ?? [])).toEqual(want);
  });

  it('refuses what is not a path', () => {
    for (const bad of ['', '$', '$..x', 'a.', 'a[x]', 'a[*]', '$.a[?(@.b)]', '.a']) expect(compilePath(bad), bad).toBeUndefined();
  });
});

describe('mapping time fields', () => {
  it('reads epoch seconds and milliseconds, numbers or numeric strings', () => {
    expect(parseTime(1_765_000_000, 'epoch_s', undefined)).toBe(1_765_000_000_000);
    expect(parseTime('1765000000.5', 'epoch_s', undefined)).toBe(1_765_000_000_500);
    expect(parseTime(1_765_000_000_123, 'epoch_ms', undefined)).toBe(1_765_000_000_123);
    expect(parseTime('soon', 'epoch_ms', undefined)).toBeUndefined();
  });

  it('reads RFC 3339 with an offset, and local times in the given zone across daylight saving', () => {
    expect(parseTime('2026-11-23T12:00:00Z', 'iso', undefined)).toBe(Date.parse('2026-11-23T12:00:00Z'));
    expect(parseTime('2026-11-23T09:00:00.250-03:00', 'iso', undefined)).toBe(Date.parse('2026-11-23T12:00:00.250Z'));
    expect(parseTime('2026-11-23 09:00:00', 'iso', undefined)).toBeUndefined();
    // Chile: UTC-3 in (southern) summer, UTC-4 in winter.
    expect(parseTime('2026-11-23 09:00:00', 'iso', 'America/Santiago')).toBe(Date.parse('2026-11-23T12:00:00Z'));
    expect(parseTime('2026-07-01T09:00', 'iso', 'America/Santiago')).toBe(Date.parse('2026-07-01T13:00:00Z'));
    expect(parseTime('2026-02-30T09:00:00Z', 'iso', undefined)).toBeUndefined();
    expect(parseTime(1_765_000_000, 'iso', 'UTC')).toBeUndefined();
  });
});
