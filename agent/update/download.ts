/**
 * A resumable download (RFC 9110 §14: Range requests) into `<file>.part`: what is already on disk
 * is never fetched again, whether the last attempt was cut by the link or by a restart. A 206
 * whose Content-Range does not start where the file ends, or a 200 (a server ignoring Range),
 * restarts from zero rather than appending the wrong bytes; the sha256 check after the download
 * catches anything else.
 */
import { closeSync, fsyncSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
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
    // Opened before the first byte and written chunk by chunk: whatever arrived before a cut stays on disk.
    const fd = openSync(o.file, start === 0 ? 'w' : 'a');
    const began = Date.now();
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        writeSync(fd, chunk);
        transferred += chunk.length;
        o.onProgress?.(start + transferred);
        if (o.rateBytesPerS > 0) {
          // Paced on average: ahead of the cap, wait until the bytes so far are due.
          const ahead = began + (transferred / o.rateBytesPerS) * 1000 - Date.now();
          if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
        }
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const got = sizeOf(o.file);
    if (got < o.size)
      throw new UpdateError(UPDATE_DOWNLOAD_FAILED, `download: the body ended at ${got} of ${o.size} bytes`, { details: { got, size: o.size } });
    return { transferred, resumedFrom: start };
  } catch (err) {
    if (err instanceof UpdateError) throw err;
    throw new UpdateError(UPDATE_DOWNLOAD_FAILED, `download cut at ${sizeOf(o.file)} of ${o.size} bytes`, {
      cause: err,
      details: { got: sizeOf(o.file), size: o.size, transferred },
    });
  }
}
