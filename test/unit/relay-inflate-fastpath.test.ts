/**
 * cloud/ingest/inflate-check.ts checks a body that inflates to at most SYNC_INFLATE_BYTES in one
 * synchronous call (and its depth by regular expression) instead of the stream (issue 18). These
 * tests hold the two paths to the same verdict on every body: the size, or the refusal's code.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isIngestRefused } from '../../cloud/ingest/errors.ts';
import { inflateChecked, MAX_DEPTH, maxJsonValues, SYNC_INFLATE_BYTES, streamChecked } from '../../cloud/ingest/inflate-check.ts';
import { encodeBatch } from '../../protocols/sync/batch.ts';
import { seededRandom } from '../../simulators/modbus/faults.ts';

const limits = { maxInflatedBytes: 4 * SYNC_INFLATE_BYTES, maxRecords: 100 };

const verdict = async (check: () => Promise<number>): Promise<number | string> => {
  try {
    return await check();
  } catch (err) {
    return isIngestRefused(err) ? err.code : `not a refusal: ${String(err)}`;
  }
};

/** Texts made of the characters the scan reads (brackets, quotes, backslashes, commas) among others, UTF-8 included. */
function corpus(): Buffer[] {
  const random = seededRandom(18);
  const alphabet = ['[', ']', '{', '}', '"', '\\', ',', '0', 'a', 'ñ', '🌵', ':', ' '];
  const texts: Buffer[] = [];
  for (let k = 0; k < 400; k++) {
    const length = Math.floor(random() * (k % 4 === 0 ? 400 : 40));
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
    texts.push(Buffer.from(s));
  }
  for (const d of [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
    for (const open of ['[', '{"a":']) texts.push(Buffer.from(`${open.repeat(d)}1${(open === '[' ? ']' : '}').repeat(d)}`));
  texts.push(Buffer.from(`{"a":"\\\\"}${'['.repeat(MAX_DEPTH + 1)}`), Buffer.from(`["\\"${'['.repeat(MAX_DEPTH + 1)}"]`));
  // Around the value bound, below and above the byte count where only the depth can fail.
  const values = maxJsonValues(limits.maxRecords);
  for (const n of [values - 2, values - 1, values, values + 1]) {
    // One value per byte (the sizes where the synchronous path starts to count), then fewer.
    texts.push(Buffer.from(`[${','.repeat(n)}]`), Buffer.from(`[${'0,'.repeat(n)}0]`), Buffer.from(`[${'0 ,'.repeat(n)}0]`));
  }
  // Around the synchronous cap and past maxInflatedBytes.
  for (const n of [SYNC_INFLATE_BYTES - 1, SYNC_INFLATE_BYTES, SYNC_INFLATE_BYTES + 1, limits.maxInflatedBytes + 1]) texts.push(Buffer.alloc(n, 0x20));
  texts.push(Buffer.from(`${' '.repeat(70_000)}${'['.repeat(MAX_DEPTH + 1)}`));
  return texts;
}

describe('the synchronous inflate check', () => {
  it('gives the stream’s verdict on every body, and the inflated bytes when it passes', async () => {
    const seen = new Set<number | string>();
    const bodies: Buffer[] = corpus().map((t) => zlib.gzipSync(t));
    const record = {
      seq: 1,
      kind: 'reading',
      device: 'd',
      channel: 'c',
      value: 1,
      unit: '',
      quality: 'good',
      exception: null,
      ts: 1,
      mono: 1,
      bootId: 'b',
      priority: 0,
      flags: 0,
    } as const;
    bodies.push(encodeBatch({ gateway: 'gw-1', sentAt: 1, mono: 1, bootId: 'b', clockSynced: true, records: [record] }));
    // Not gzip, truncated, empty: the stream resolves with what it inflated; the decoder refuses.
    bodies.push(Buffer.from('not gzip'), zlib.gzipSync('[[[[[[[[[[').subarray(0, 12), Buffer.alloc(0));
    for (const body of bodies) {
      const fast = await verdict(async () => {
        const inflated = await inflateChecked(body, limits, 'gw-1');
        if (inflated.bytes !== undefined) expect(inflated.bytes.equals(zlib.gunzipSync(body))).toBe(true);
        return inflated.size;
      });
      const stream = await verdict(() => streamChecked(body, limits, 'gw-1'));
      expect(fast, `${body.length} bytes`).toBe(stream);
      seen.add(typeof stream === 'number' ? 'passed' : stream);
    }
    // Passes and both refusals are represented, so agreement is not agreement on one answer.
    expect([...seen].sort()).toEqual(['ATALAYA_INGEST_MALFORMED', 'ATALAYA_INGEST_TOO_LARGE', 'passed']);
  });

  it('keeps the bytes of a body within SYNC_INFLATE_BYTES, and not of a larger one', async () => {
    const small = await inflateChecked(zlib.gzipSync(Buffer.alloc(SYNC_INFLATE_BYTES, 0x20)), limits, 'gw-1');
    expect(small.bytes?.length).toBe(SYNC_INFLATE_BYTES);
    const large = await inflateChecked(zlib.gzipSync(Buffer.alloc(SYNC_INFLATE_BYTES + 1, 0x20)), limits, 'gw-1');
    expect(large).toEqual({ size: SYNC_INFLATE_BYTES + 1, bytes: undefined });
  });
});
