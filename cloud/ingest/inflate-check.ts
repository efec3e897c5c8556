/**
 * A signed body's decompression, bounded before protocols/sync/batch.ts parses it (issue 19
 * item 11). gzip is inflated as a stream, off the event loop, and each chunk is counted and
 * scanned as it comes out; the stream is abandoned at the first limit crossed, so neither a gzip
 * bomb nor a deeply nested or huge JSON document is ever held whole or handed to JSON.parse:
 *
 * - inflated size ≤ maxInflatedBytes (413 too_large);
 * - nesting ≤ MAX_DEPTH (400 malformed): a v1 batch nests 3 deep (root → tables → table);
 * - JSON values ≤ 32 × maxRecords + 1024 (413 too_large): a v1 batch of n records holds at most
 *   ~24 n values (13 columns, 4 tables and 6 per alarm detail, each ≤ n), so the bound passes any
 *   real batch and stops an array of millions of zeros that would take JSON.parse seconds and
 *   hundreds of MiB.
 *
 * The scan reads bytes: `"` and `\` never occur inside a UTF-8 multibyte sequence, so string
 * contents are skipped exactly. Nothing is kept: decodeBatch inflates the (now known to be
 * bounded) body again, synchronously; that second pass costs ~1 ms per MiB.
 */
import zlib from 'node:zlib';
import { refuse } from './errors.ts';

export const MAX_DEPTH = 8;
/** zlib output chunk: the most a request holds while being checked. */
const CHUNK_BYTES = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

export interface InflateCheckLimits {
  readonly maxInflatedBytes: number;
  readonly maxRecords: number;
}

/** The JSON values a batch of `maxRecords` may hold, with room to spare (see above). */
export function maxJsonValues(maxRecords: number): number {
  return 32 * maxRecords + 1024;
}

/** Depth and value count of a JSON text fed in chunks; `problem` says which bound a chunk crossed. */
class JsonShapeScan {
  private inString = false;
  private escaped = false;
  private depth = 0;
  private values = 0;

  constructor(private readonly maxValues: number) {}

  feed(chunk: Buffer): 'depth' | 'values' | undefined {
    let { inString, escaped, depth, values } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === COMMA) values++;
      else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        values++;
        if (++depth > MAX_DEPTH) return 'depth';
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
    }
    Object.assign(this, { inString, escaped, depth, values });
    return values > this.maxValues ? 'values' : undefined;
  }
}

/**
 * Inflates `body` as a stream and checks it chunk by chunk; resolves with the inflated size, or
 * rejects with an IngestRefused (too_large, malformed). A body that is not gzip is left to
 * decodeBatch, which refuses it with its own reason.
 */
export function checkInflated(body: Buffer, limits: InflateCheckLimits, gateway: string): Promise<number> {
  const maxValues = maxJsonValues(limits.maxRecords);
  const scan = new JsonShapeScan(maxValues);
  return new Promise((resolve, reject) => {
    const gunzip = zlib.createGunzip({ chunkSize: CHUNK_BYTES });
    let size = 0;
    let settled = false;
    const stop = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      if (err === undefined) resolve(size);
      else reject(err);
    };
    gunzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxInflatedBytes)
        return stop(refuse('too_large', `sync batch too large: more than ${limits.maxInflatedBytes} inflated bytes`, { gateway }));
      const problem = scan.feed(chunk);
      if (problem === 'depth') stop(refuse('malformed', `malformed sync batch: JSON nested deeper than ${MAX_DEPTH}`, { gateway }));
      else if (problem === 'values')
        stop(refuse('too_large', `sync batch too large: more than ${maxValues} JSON values for at most ${limits.maxRecords} records`, { gateway }));
    });
    gunzip.once('end', () => stop(undefined));
    // Not gzip, truncated: decodeBatch gives the reason.
    gunzip.once('error', () => stop(undefined));
    gunzip.end(body);
  });
}
