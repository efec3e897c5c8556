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
 * contents are skipped exactly.
 *
 * A body that inflates to at most SYNC_INFLATE_BYTES (every real batch: 10,000 realistic readings
 * are ~300 KiB) is first inflated in one synchronous call, capped there, and checked for the
 * same verdicts (the depth by regular expression when only the depth can fail, else in the
 * stream's 64 KiB slices), without the stream's cost per request (a zlib handle, a thread-pool
 * hop, events and the byte loop: ~0.15 µs per reading of a 1,000-reading batch, issue 18). Its
 * bytes then go to the decoder, which does not inflate again; they are counted in the decode
 * budget like the stream's size. Before that, at most SYNC_INFLATE_BYTES are held, by one request
 * at a time (the call is synchronous), for about a millisecond at most. A body that would inflate
 * past it, or that zlib refuses, takes the streaming path (the capped attempt is thrown away),
 * where nothing is kept: decodeBatch inflates the (now known to be bounded) body again, ~1 ms per
 * MiB.
 */
import zlib from 'node:zlib';
import { refuse } from './errors.ts';

export const MAX_DEPTH = 8;
/** zlib output chunk: the most a request holds while being checked on the streaming path. */
const CHUNK_BYTES = 64 * 1024;
/** Most inflated bytes checked in one synchronous call (see above); more takes the streaming path. */
export const SYNC_INFLATE_BYTES = 2 ** 20;

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

export interface Inflated {
  /** Inflated bytes (0 for a body that is not gzip). */
  readonly size: number;
  /** The inflated body when it was inflated in one piece (see above), for decodeInflated; else undefined. */
  readonly bytes: Buffer | undefined;
}

/**
 * Inflates `body` and checks it chunk by chunk; resolves with the inflated size, or rejects with
 * an IngestRefused (too_large, malformed). A body that is not gzip is left to decodeBatch, which
 * refuses it with its own reason.
 */
export async function checkInflated(body: Buffer, limits: InflateCheckLimits, gateway: string): Promise<number> {
  return (await inflateChecked(body, limits, gateway)).size;
}

/** checkInflated, keeping the inflated bytes when they were inflated in one piece. */
export function inflateChecked(body: Buffer, limits: InflateCheckLimits, gateway: string): Promise<Inflated> {
  const bytes = inflateAtOnce(body, Math.min(limits.maxInflatedBytes, SYNC_INFLATE_BYTES));
  if (bytes === undefined) return streamChecked(body, limits, gateway).then((size) => ({ size, bytes: undefined }));
  const scan = new Scan(limits, gateway);
  // Fewer bytes than values allowed: each value costs a byte (`,`, `[` or `{`), so only the depth can fail.
  if (bytes.length <= scan.maxValues) {
    if (deeperThan(bytes.toString('latin1'), MAX_DEPTH)) return Promise.reject(scan.tooDeep());
    return Promise.resolve({ size: bytes.length, bytes });
  }
  // The stream's chunks: full CHUNK_BYTES ones, then the rest; each counted, then scanned.
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
    const refused = scan.chunk(bytes.subarray(at, Math.min(at + CHUNK_BYTES, bytes.length)));
    if (refused !== undefined) return Promise.reject(refused);
  }
  return Promise.resolve({ size: bytes.length, bytes });
}

const STRUCTURE = /["[\]{}]/g;
const STRING_END = /["\\]/g;

/**
 * JsonShapeScan's depth verdict on a whole text, by regular expression from one bracket or quote
 * to the next rather than byte by byte (a batch is mostly digits and commas). `text` is the
 * bytes as latin1, one character per byte, so it reads what the scan reads.
 */
function deeperThan(text: string, max: number): boolean {
  let depth = 0;
  let at = 0;
  for (;;) {
    STRUCTURE.lastIndex = at;
    const m = STRUCTURE.exec(text);
    if (m === null) return false;
    at = m.index + 1;
    const c = text.charCodeAt(m.index);
    if (c === QUOTE) {
      // To the closing quote; a backslash and the byte after it are string content.
      for (;;) {
        STRING_END.lastIndex = at;
        const e = STRING_END.exec(text);
        if (e === null) return false;
        at = e.index + 1;
        if (text.charCodeAt(e.index) === QUOTE) break;
        at++;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else depth--;
  }
}

/** The whole inflated body if it is valid gzip of at most `cap` bytes, else undefined (the stream decides). */
function inflateAtOnce(body: Buffer, cap: number): Buffer | undefined {
  try {
    return zlib.gunzipSync(body, { maxOutputLength: cap, chunkSize: CHUNK_BYTES });
  } catch {
    return undefined;
  }
}

/** The bounds a stream of inflated chunks must keep, counted across chunks. */
class Scan {
  private size = 0;
  private readonly shape: JsonShapeScan;
  readonly maxValues: number;

  constructor(
    private readonly limits: InflateCheckLimits,
    private readonly gateway: string,
  ) {
    this.maxValues = maxJsonValues(limits.maxRecords);
    this.shape = new JsonShapeScan(this.maxValues);
  }

  get inflated(): number {
    return this.size;
  }

  /** The refusal the chunk makes the body earn, or undefined. */
  chunk(chunk: Buffer): Error | undefined {
    const { limits, gateway } = this;
    this.size += chunk.length;
    if (this.size > limits.maxInflatedBytes)
      return refuse('too_large', `sync batch too large: more than ${limits.maxInflatedBytes} inflated bytes`, { gateway });
    const problem = this.shape.feed(chunk);
    if (problem === 'depth') return this.tooDeep();
    if (problem === 'values')
      return refuse('too_large', `sync batch too large: more than ${this.maxValues} JSON values for at most ${limits.maxRecords} records`, { gateway });
    return undefined;
  }

  tooDeep(): Error {
    return refuse('malformed', `malformed sync batch: JSON nested deeper than ${MAX_DEPTH}`, { gateway: this.gateway });
  }
}

/** Inflates `body` as a stream, off the event loop, and checks it chunk by chunk; resolves with the inflated size (exported for the test holding both paths to one verdict). */
export function streamChecked(body: Buffer, limits: InflateCheckLimits, gateway: string): Promise<number> {
  const scan = new Scan(limits, gateway);
  return new Promise((resolve, reject) => {
    const gunzip = zlib.createGunzip({ chunkSize: CHUNK_BYTES });
    let settled = false;
    const stop = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      if (err === undefined) resolve(scan.inflated);
      else reject(err);
    };
    gunzip.on('data', (chunk: Buffer) => {
      const refused = scan.chunk(chunk);
      if (refused !== undefined) stop(refused);
    });
    gunzip.once('end', () => stop(undefined));
    // Not gzip, truncated: decodeBatch gives the reason.
    gunzip.once('error', () => stop(undefined));
    gunzip.end(body);
  });
}
