import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NOTIFY_INVALID_ARGUMENT } from '../../protocols/notify/errors.ts';
import { signWebhook, verifyWebhook, webhookHeaders } from '../../protocols/notify/webhook-signature.ts';

const secret = 'whsec-test';
const body = '{"key":"k1","title":"Alarma"}';
const ts = 1_765_000_000_000;

describe('webhook signature (HMAC-SHA256 over `${timestamp}.${body}`)', () => {
  it('is v1= and the hex HMAC of the signing string, byte for byte', () => {
    const hex = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(signWebhook(secret, ts, body)).toBe(`v1=${hex}`);
    expect(signWebhook(secret, ts, Buffer.from(body))).toBe(`v1=${hex}`);
  });

  it('puts the idempotency key on every request and the signature only with a secret', () => {
    expect(webhookHeaders({ key: 'k1', eventId: 'e1', timestamp: ts, body })).toEqual({ 'idempotency-key': 'k1', 'x-atalaya-event': 'e1' });
    const h = webhookHeaders({ key: 'k1', eventId: 'e1', timestamp: ts, body, secret });
    expect(h['x-atalaya-timestamp']).toBe(String(ts));
    expect(h['x-atalaya-signature']).toBe(signWebhook(secret, ts, body));
  });

  it('verifies a good signature and refuses a tampered body, another secret, a stale timestamp', () => {
    const signature = signWebhook(secret, ts, body);
    const check = { secret, body, timestamp: String(ts), signature, now: ts + 1000 };
    expect(verifyWebhook(check)).toEqual({ ok: true, timestamp: ts });
    expect(verifyWebhook({ ...check, body: body.replace('Alarma', 'Alarmo') })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhook({ ...check, secret: 'other' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhook({ ...check, now: ts + 300_001 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhook({ ...check, now: ts - 300_001 })).toEqual({ ok: false, reason: 'stale' });
  });

  it('accepts any one of several signatures (secret rotation)', () => {
    const signature = `${signWebhook('old', ts, body)}, ${signWebhook(secret, ts, body)}`;
    expect(verifyWebhook({ secret, body, timestamp: String(ts), signature, now: ts }).ok).toBe(true);
  });

  it('says missing or malformed without throwing', () => {
    expect(verifyWebhook({ secret, body, timestamp: undefined, signature: 'v1=00', now: ts })).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhook({ secret, body, timestamp: 'soon', signature: signWebhook(secret, ts, body), now: ts })).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhook({ secret, body, timestamp: String(ts), signature: 'v1=zz', now: ts })).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhook({ secret, body, timestamp: String(ts), signature: 'v0=abc', now: ts })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to sign with an empty secret or a bad timestamp', () => {
    expect(() => signWebhook('', ts, body)).toThrow(expect.objectContaining({ code: NOTIFY_INVALID_ARGUMENT }));
    expect(() => signWebhook(secret, -1, body)).toThrow(expect.objectContaining({ code: NOTIFY_INVALID_ARGUMENT }));
  });
});
