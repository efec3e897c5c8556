import { describe, expect, it } from 'vitest';
import { parsePayload, telemetryPayloadSchema } from '../../agent/broker/ingest-payload.ts';

const ctx = { now: 1_750_000_000_000, mono: 5, bootId: 'b', flags: 0 };
const good = { channel: 'ch4', value: 12.5, unit: '%LEL' };

/** Each variant of one field (or an extra key) on a valid item: the checks the fast path makes by hand. */
const variants: Array<Record<string, unknown>> = [
  good,
  { ...good, ts: 1_750_000_000_000 },
  { ...good, ts: 0 },
  { ...good, ts: -1 },
  { ...good, ts: 1.5 },
  { ...good, ts: 9_007_199_254_740 },
  { ...good, ts: 9_007_199_254_741 },
  { ...good, ts: '2026-12-07T10:00:00Z' },
  { ...good, ts: '2026-12-07T10:00:00-03:00' },
  { ...good, ts: '2026-12-07' },
  { ...good, ts: null },
  { ...good, seq: 0 },
  { ...good, seq: 7 },
  { ...good, seq: -1 },
  { ...good, seq: 2.5 },
  { ...good, seq: Number.MAX_SAFE_INTEGER },
  { ...good, seq: Number.MAX_SAFE_INTEGER + 2 },
  { ...good, seq: '7' },
  { ...good, channel: '' },
  { ...good, channel: 'a/b' },
  { ...good, channel: '-x' },
  { ...good, channel: 'x'.repeat(64) },
  { ...good, channel: 'x'.repeat(65) },
  { ...good, channel: 3 },
  { ...good, value: '1' },
  { ...good, value: null },
  { ...good, value: -0 },
  { ...good, unit: 'x'.repeat(16) },
  { ...good, unit: 'x'.repeat(17) },
  { ...good, unit: 1 },
  { ...good, extra: 1 },
  { channel: 'ch4', value: 1 },
  { value: 1, unit: 'm' },
];

function payloads(): unknown[] {
  const out: unknown[] = [...variants, [], null, 1, 'x', [null], [good, 1], Array.from({ length: 500 }, () => good), Array.from({ length: 501 }, () => good)];
  for (const v of variants) out.push([good, v]);
  out.push(JSON.parse('{"channel":"ch4","value":1,"unit":"m","__proto__":{"x":1}}'));
  return out;
}

describe('the telemetry fast path', () => {
  it('accepts exactly what the schema accepts, with the same records', () => {
    for (const json of payloads()) {
      const bytes = Buffer.from(JSON.stringify(json) ?? 'null');
      const parsed = parsePayload('telemetry', 'gas-1', bytes, ctx);
      const schema = telemetryPayloadSchema.safeParse(JSON.parse(bytes.toString()));
      expect(parsed.ok || parsed.reason !== 'schema', `${bytes}`).toBe(schema.success);
      if (parsed.ok && schema.success) {
        const items = Array.isArray(schema.data) ? schema.data : [schema.data];
        expect(
          parsed.records.map((r) => [r.channel, r.value, r.unit]),
          `${bytes}`,
        ).toEqual(items.map((i) => [i.channel, i.value, i.unit]));
        expect(parsed.seq).toBe(items[items.length - 1]?.seq);
      }
    }
  });
});
