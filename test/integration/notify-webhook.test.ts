/**
 * The webhook channel against a real node:http server that checks the HMAC with the verifier
 * receivers use (protocols/notify/webhook-signature.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFY_BAD_ADDRESS, NOTIFY_HTTP_REJECTED, NOTIFY_HTTP_RETRY, NOTIFY_HTTP_UNREACHABLE } from '../../platform/notify/errors.ts';
import { webhookChannelSchema } from '../../platform/notify/schema.ts';
import type { Notification } from '../../platform/notify/types.ts';
import { WebhookChannel } from '../../platform/notify/webhook.ts';
import { systemClock } from '../../protocols/clock.ts';
import { verifyWebhook } from '../../protocols/notify/webhook-signature.ts';

const n: Notification = {
  key: 'alert-17:hook-1',
  eventId: 'alarm:gw-1:det-1:ch4:high2:raised:4711',
  severity: 'alarm',
  title: 'Alarma CH4 alta',
  text: 'CH4 25,3 %LEL',
  at: Date.UTC(2026, 11, 7, 19, 56, 24),
  facts: { gateway: 'gw-1', value: 25.3 },
};
const SECRET = 'hook-secret';

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A receiver that records each request and answers what `answer` says. */
async function receiver(answer: (r: Received, res: http.ServerResponse) => void): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks) };
      got.push(r);
      answer(r, res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/atalaya`, got };
}

const channel = (raw: Record<string, unknown> = {}, secret: string | null = SECRET): WebhookChannel =>
  new WebhookChannel({ config: webhookChannelSchema.parse({ timeoutMs: 1000, ...raw }), secret: secret ?? undefined, clock: systemClock });

const verify = (r: Received, body: Buffer = r.body) =>
  verifyWebhook({
    secret: SECRET,
    body,
    timestamp: r.headers['x-atalaya-timestamp'] as string | undefined,
    signature: r.headers['x-atalaya-signature'] as string | undefined,
    now: Date.now(),
  });

describe('webhook channel', () => {
  it('posts the notification signed; the receiver verifies it and would refuse a tampered body', async () => {
    const { url, got } = await receiver((r, res) => res.writeHead(verify(r).ok ? 204 : 401).end());
    expect(await channel().send(url, n)).toEqual({ ok: true });
    const r = got[0]!;
    expect(verify(r)).toMatchObject({ ok: true });
    expect(verify(r, Buffer.from(r.body.toString().replace('25.3', '2.53')))).toEqual({ ok: false, reason: 'mismatch' });
    expect(r.headers['idempotency-key']).toBe(n.key);
    expect(r.headers['x-atalaya-event']).toBe(n.eventId);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.body.toString())).toMatchObject({ key: n.key, eventId: n.eventId, severity: 'alarm', facts: { gateway: 'gw-1', value: 25.3 } });
  });

  it('sends unsigned without a secret, the idempotency key still there', async () => {
    const { url, got } = await receiver((_, res) => res.writeHead(200).end());
    expect(await channel({}, null).send(url, n)).toEqual({ ok: true });
    expect(got[0]!.headers['x-atalaya-signature']).toBeUndefined();
    expect(got[0]!.headers['idempotency-key']).toBe(n.key);
  });

  it('posts each preset body, unsigned, with the idempotency key', async () => {
    const { url, got } = await receiver((_, res) => res.writeHead(200).end('ok'));
    for (const preset of ['slack', 'teams', 'googlechat'] as const) expect(await channel({ preset }).send(url, n)).toEqual({ ok: true });
    expect(got.map((r) => Object.keys(JSON.parse(r.body.toString()) as object).sort())).toEqual([
      ['blocks', 'text'],
      ['attachments', 'type'],
      ['cardsV2', 'text'],
    ]);
    expect(got.every((r) => r.headers['idempotency-key'] === n.key && r.headers['x-atalaya-signature'] === undefined)).toBe(true);
  });

  it('reports 5xx as retryable, 429 with Retry-After as retryAfterMs, 400 as not retryable', async () => {
    let status = 503;
    const { url } = await receiver((_, res) => (status === 429 ? res.writeHead(429, { 'retry-after': '7' }) : res.writeHead(status)).end());
    const c = channel();
    expect(await c.send(url, n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_RETRY });
    status = 429;
    expect(await c.send(url, n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_RETRY, retryAfterMs: 7000 });
    status = 408;
    expect(await c.send(url, n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_RETRY });
    status = 400;
    expect(await c.send(url, n)).toMatchObject({ ok: false, retryable: false, code: NOTIFY_HTTP_REJECTED });
  });

  it('reports a receiver that never answers as retryable within the timeout', async () => {
    const { url } = await receiver(() => undefined);
    const started = Date.now();
    expect(await channel().send(url, n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_UNREACHABLE });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a refused connection as retryable and a bad URL as a bad address, never throwing', async () => {
    const { url } = await receiver((_, res) => res.end());
    await new Promise((r) => server!.close(r));
    server = undefined;
    expect(await channel().send(url, n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_UNREACHABLE });
    expect(await channel().send('mailto:x@y.cl', n)).toMatchObject({ ok: false, retryable: false, code: NOTIFY_BAD_ADDRESS });
  });

  it('keeps the URL path (a Slack or Teams token) out of the detail', async () => {
    const { url } = await receiver((_, res) => res.writeHead(500).end());
    const out = await channel().send(`${url}/T000/B000/XXXXSECRET`, n);
    expect(JSON.stringify(out)).not.toContain('XXXXSECRET');
  });
});
