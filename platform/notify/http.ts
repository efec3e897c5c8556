/**
 * One HTTP attempt for the HTTP channels (webhook, SMS provider, Telegram) with undici, and the
 * mapping of its result to a DeliveryOutcome: 2xx ok; 408, 429, 5xx retryable (Retry-After, in
 * seconds or an HTTP-date, RFC 9110 §10.2.3, becomes retryAfterMs); 401/403 refused credentials;
 * other 4xx not retryable; network failures and timeouts retryable. Never throws.
 */
import { type Dispatcher, request } from 'undici';
import { NOTIFY_HTTP_AUTH, NOTIFY_HTTP_REJECTED, NOTIFY_HTTP_RETRY, NOTIFY_HTTP_UNREACHABLE } from './errors.ts';
import type { DeliveryOutcome } from './types.ts';

export interface HttpAttempt {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole attempt, connect to last body byte, ms. */
  readonly timeoutMs: number;
  readonly dispatcher?: Dispatcher;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** At most 64 KiB of the body, as text. */
  readonly text: string;
}

const MAX_BODY = 65_536;

/** The answer, or the outcome of a network failure or timeout. */
export async function attempt(a: HttpAttempt): Promise<HttpAnswer | DeliveryOutcome> {
  try {
    const res = await request(a.url, {
      method: a.method,
      headers: a.headers,
      ...(a.body !== undefined ? { body: a.body } : {}),
      signal: AbortSignal.timeout(a.timeoutMs),
      headersTimeout: a.timeoutMs,
      bodyTimeout: a.timeoutMs,
      ...(a.dispatcher !== undefined ? { dispatcher: a.dispatcher } : {}),
    });
    let text = '';
    for await (const chunk of res.body) {
      if (text.length < MAX_BODY) text += (chunk as Buffer).toString('utf8');
    }
    return { status: res.statusCode, headers: res.headers, text: text.slice(0, MAX_BODY) };
  } catch (err) {
    const code = (err as { code?: unknown; name?: unknown } | null)?.code ?? (err as { name?: unknown } | null)?.name ?? 'error';
    return { ok: false, retryable: true, code: NOTIFY_HTTP_UNREACHABLE, detail: `${hostOf(a.url)}: ${String(code)}` };
  }
}

export function isAnswer(x: HttpAnswer | DeliveryOutcome): x is HttpAnswer {
  return 'status' in x;
}

/** Retry-After as ms from `now`, when the header is there and readable. */
export function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  if (/^\d{1,9}$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The outcome of a non-2xx answer; `detail` names the host and status, never the URL's path (it may hold a token). */
export function failure(a: HttpAnswer, url: string, now: number, providerDetail?: string): DeliveryOutcome & { ok: false } {
  const detail = `${hostOf(url)}: HTTP ${a.status}${providerDetail !== undefined ? ` ${providerDetail}` : ''}`;
  if (a.status === 408 || a.status === 429 || a.status >= 500) {
    const after = retryAfterMs(a.headers['retry-after'], now);
    return { ok: false, retryable: true, code: NOTIFY_HTTP_RETRY, detail, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  if (a.status === 401 || a.status === 403) return { ok: false, retryable: false, code: NOTIFY_HTTP_AUTH, detail };
  return { ok: false, retryable: false, code: NOTIFY_HTTP_REJECTED, detail };
}

/** `host:port` of a URL, for delivery logs (paths of Slack, Teams and Telegram URLs carry secrets). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(bad url)';
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
