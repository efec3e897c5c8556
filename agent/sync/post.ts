/**
 * One POST to the relay under one deadline (connect, upload and answer together; undici's own
 * timeouts only bound each phase), stopped early by the caller's signal. Shared by the sync's
 * ingest and the fleet's poll: each reads the answer its own way and never throws.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';

export interface RelayPost {
  readonly dispatcher: Dispatcher;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly timeoutMs: number;
  /** Aborts the request (the client stopping). */
  readonly signal: AbortSignal;
}

/** Why a POST ended without an answer: the caller's signal, the deadline, or the network. */
export type NoAnswer = 'aborted' | 'timeout' | 'network';

export async function postToRelay<T>(
  req: RelayPost,
  onAnswer: (res: Dispatcher.ResponseData) => Promise<T>,
  onNoAnswer: (why: NoAnswer, err: unknown) => T,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const onStop = (): void => controller.abort();
  req.signal.addEventListener('abort', onStop, { once: true });
  if (req.signal.aborted) controller.abort();
  try {
    const res = await request(req.url, {
      dispatcher: req.dispatcher,
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    return await onAnswer(res);
  } catch (err) {
    return onNoAnswer(req.signal.aborted ? 'aborted' : timedOut ? 'timeout' : 'network', err);
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener('abort', onStop);
  }
}
