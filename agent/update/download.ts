/**
 * A resumable download (RFC 9110 §14: Range requests) into `<file>.part`: what is already on disk
 * is never fetched again, whether the last attempt was cut by the link or by a restart. A 206
 * whose Content-Range does not start where the file ends, or a 200 (a server ignoring Range),
 * restarts from zero rather than appending the wrong bytes; the sha256 check after the download
 * catches anything else.
 */
import { createWriteStream, statSync, truncateSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { UPDATE_DOWNLOAD_FAILED, UpdateError } from './errors.ts';

export interface DownloadOptions {
  readonly url: string;
  /** The file the bytes are appended to (`….part`). */
  readonly file: string;
  /** Expected total bytes: a file already this long is not fetched again. */
  readonly size: number;
  /** Cap in bytes/s; 0 for none. */
  readonly rateBytesPerS: number;
  /** A stalled body (no byte for this long) is cut, ms. */
  readonly timeoutMs: number;
  readonly onProgress?: (bytes: number) => void;
  readonly signal?: AbortSignal;
}

export interface DownloadResult {
  /** Bytes of the body received by this call (what crossed the link). */
  readonly transferred: number;
  /** Where this call started in the file. */
  readonly resumedFrom: number;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Throws ATALAYA_UPDATE_DOWNLOAD_FAILED (cause chained) when the body does not arrive whole; the part file keeps what did. */
export async function downloadResumable(o: DownloadOptions): Promise<DownloadResult> {
  let from = sizeOf(o.file);
  if (from > o.size) {
    truncateSync(o.file, 0);
    from = 0;
  }
  if (from === o.size) return { transferred: 0, resumedFrom: from };
  let transferred = 0;
  try {
    const res = await request(o.url, {
      method: 'GET',
      headers: { range: `bytes=${from}-` },
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: o.signal,
    });
    let start = from;
    if (res.statusCode === 200) start = 0;
    else if (res.statusCode === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
      if (m === null || Number(m[1]) !== from) start = -1;
    } else {
      await res.body.dump();
      throw new UpdateError(UPDATE_DOWNLOAD_FAILED, `download: HTTP ${res.statusCode}`, { details: { status: res.statusCode } });
    }
    if (start === -1) {
      await res.body.dump();
      truncateSync(o.file, 0);
      throw new UpdateError(UPDATE_DOWNLOAD_FAILED, 'download: the range answered is not the one asked for; starting over next time');
    }
    if (start === 0 && from !== 0) truncateSync(o.file, 0);
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done: TransformCallback) {
        transferred += chunk.length;
        o.onProgress?.(start + transferred);
        done(null, chunk);
      },
    });
    const out = createWriteStream(o.file, { flags: start === 0 ? 'w' : 'a' });
    if (o.rateBytesPerS > 0) await pipeline(res.body, throttle(o.rateBytesPerS), counter, out);
    else await pipeline(res.body, counter, out);
    const got = sizeOf(o.file);
    if (got < o.size) throw new UpdateError(UPDATE_DOWNLOAD_FAILED, `download: the body ended at ${got} of ${o.size} bytes`, { details: { got, size: o.size } });
    return { transferred, resumedFrom: start };
  } catch (err) {
    if (err instanceof UpdateError) throw err;
    throw new UpdateError(UPDATE_DOWNLOAD_FAILED, `download cut at ${sizeOf(o.file)} of ${o.size} bytes`, {
      cause: err,
      details: { got: sizeOf(o.file), size: o.size, transferred },
    });
  }
}

/** Passes at most `rate` bytes per second on average (a token bucket refilled by elapsed time). */
function throttle(rate: number): Transform {
  const started = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      sent += chunk.length;
      const due = started + (sent / rate) * 1000 - Date.now();
      if (due <= 0) done(null, chunk);
      else setTimeout(() => done(null, chunk), due).unref();
    },
  });
}
