import { describe, expect, it } from 'vitest';
import { messageIdFor, smtpFailure } from '../../platform/notify/email.ts';
import {
  NOTIFY_HTTP_AUTH,
  NOTIFY_HTTP_REJECTED,
  NOTIFY_HTTP_RETRY,
  NOTIFY_SMTP_AUTH,
  NOTIFY_SMTP_DEFERRED,
  NOTIFY_SMTP_REJECTED,
  NOTIFY_SMTP_UNREACHABLE,
} from '../../platform/notify/errors.ts';
import { failure, retryAfterMs } from '../../platform/notify/http.ts';
import { smsTemplateSchema } from '../../platform/notify/schema.ts';
import { templateRequest } from '../../platform/notify/sms-http.ts';

describe('SMTP outcomes (from nodemailer codes and reply codes, never message text)', () => {
  it('maps each failure to its code and retry decision', () => {
    expect(smtpFailure({ code: 'EAUTH', responseCode: 535 }, 'h:587')).toMatchObject({ code: NOTIFY_SMTP_AUTH, retryable: true });
    expect(smtpFailure({ code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM' }, 'h:587')).toMatchObject({ code: NOTIFY_SMTP_AUTH, retryable: true });
    expect(smtpFailure({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, 'h:587')).toMatchObject({
      code: NOTIFY_SMTP_REJECTED,
      retryable: false,
      detail: 'h:587: EENVELOPE 550 to RCPT',
    });
    expect(smtpFailure({ code: 'EMESSAGE', responseCode: 552 }, 'h:587')).toMatchObject({ code: NOTIFY_SMTP_REJECTED, retryable: false });
    expect(smtpFailure({ code: 'EENVELOPE', responseCode: 451 }, 'h:587')).toMatchObject({ code: NOTIFY_SMTP_DEFERRED, retryable: true });
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ETLS', 'EDNS'])
      expect(smtpFailure({ code }, 'h:587')).toMatchObject({ code: NOTIFY_SMTP_UNREACHABLE, retryable: true });
    expect(smtpFailure(undefined, 'h:587')).toMatchObject({ ok: false, retryable: true });
  });

  it('derives one valid Message-ID per key (RFC 5322 dot-atom) and a different one per key', () => {
    expect(messageIdFor('alert-17:ops@example.cl')).toBe('<alert-17=3Aops=40example=2Ecl@atalaya>');
    expect(messageIdFor('a.b')).not.toBe(messageIdFor('a=2Eb'));
    expect(messageIdFor('ñ')).toBe('<=C3=B1@atalaya>');
  });
});

describe('HTTP outcomes', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers, text: '' });
  it('reads Retry-After as seconds or as an HTTP-date (RFC 9110 §10.2.3)', () => {
    expect(retryAfterMs('120', 0)).toBe(120_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 27, 30))).toBe(30_000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });

  it('maps statuses, and keeps the path of the URL out of the detail', () => {
    const url = 'https://hooks.slack.com/services/T0/B0/SECRET';
    expect(failure(answer(503), url, 0)).toMatchObject({ code: NOTIFY_HTTP_RETRY, retryable: true, detail: 'hooks.slack.com: HTTP 503' });
    expect(failure(answer(429, { 'retry-after': '5' }), url, 0)).toMatchObject({ code: NOTIFY_HTTP_RETRY, retryAfterMs: 5000 });
    expect(failure(answer(408), url, 0)).toMatchObject({ code: NOTIFY_HTTP_RETRY, retryable: true });
    expect(failure(answer(401), url, 0)).toMatchObject({ code: NOTIFY_HTTP_AUTH, retryable: false });
    expect(failure(answer(404), url, 0)).toMatchObject({ code: NOTIFY_HTTP_REJECTED, retryable: false });
  });
});

describe('SMS request templates', () => {
  const values = { to: '+56912345678', from: 'ATALAYA', text: 'Alarma & ¿acción? 50 %', token: 't0k' };
  it('fills a form body, percent-encodes placeholders in the URL', () => {
    const r = templateRequest(
      smsTemplateSchema.parse({
        url: 'https://sms.example/{{from}}/send?dest={{to}}',
        headers: { 'X-Key': '{{token}}' },
        body: { m: '{{text}}', d: '{{to}}' },
      }),
      values,
    );
    expect(r).toMatchObject({ method: 'POST', url: 'https://sms.example/ATALAYA/send?dest=%2B56912345678' });
    expect(r.headers).toMatchObject({ 'x-key': 't0k', 'content-type': 'application/x-www-form-urlencoded' });
    expect(new URLSearchParams(r.body).get('m')).toBe('Alarma & ¿acción? 50 %');
  });

  it('sends JSON, or GET with the fields in the query', () => {
    expect(JSON.parse(templateRequest(smsTemplateSchema.parse({ url: 'https://x.example/s', encoding: 'json' }), values).body!)).toEqual({
      to: '+56912345678',
      text: 'Alarma & ¿acción? 50 %',
    });
    const g = templateRequest(smsTemplateSchema.parse({ method: 'GET', url: 'https://x.example/s?k={{token}}' }), values);
    expect(g.body).toBeUndefined();
    expect(new URL(g.url).searchParams.get('to')).toBe('+56912345678');
    expect(new URL(g.url).searchParams.get('k')).toBe('t0k');
  });
});
