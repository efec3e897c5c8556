/**
 * The pulls' one HTTP GET (undici): a deadline for the whole request, the auth header, and a
 * coded error for anything but a 2xx (the status, never the headers: they hold the secret).
 */
import { request } from 'undici';
import { SOURCE_PULL_FAILED, sourceError } from './errors.ts';

/** Largest answer read, bytes: a page of 10 000 Tago records is about 2 MiB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function getText(url: string, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, { method: 'GET', headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw sourceError(SOURCE_PULL_FAILED, `no answer (${(err as { code?: string }).code ?? (err as Error).name})`, { cause: err });
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    await res.body.dump().catch(() => undefined);
    throw sourceError(SOURCE_PULL_FAILED, `HTTP ${res.statusCode}`, { details: { status: res.statusCode } });
  }
  const length = Number(res.headers['content-length'] ?? 0);
  if (length > MAX_BODY_BYTES) {
    await res.body.dump().catch(() => undefined);
    throw sourceError(SOURCE_PULL_FAILED, `answer of ${length} bytes is over ${MAX_BODY_BYTES}`);
  }
  try {
    return await res.body.text();
  } catch (err) {
    throw sourceError(SOURCE_PULL_FAILED, 'answer cut off', { cause: err });
  }
}
