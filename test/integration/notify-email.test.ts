/**
 * The email channel against a real SMTP server not written here (aiosmtpd, test/helpers/smtp-sink.py):
 * both parts arrive, the Message-ID is stable per key, and every failure is an outcome with its code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildChannels } from '../../platform/notify/channels.ts';
import { messageIdFor } from '../../platform/notify/email.ts';
import { NOTIFY_CA_UNREADABLE, NOTIFY_SMTP_AUTH, NOTIFY_SMTP_DEFERRED, NOTIFY_SMTP_REJECTED, NOTIFY_SMTP_UNREACHABLE } from '../../platform/notify/errors.ts';
import { notifyChannelsSchema } from '../../platform/notify/schema.ts';
import type { Channel, Notification } from '../../platform/notify/types.ts';
import { systemClock } from '../../protocols/clock.ts';
import { freePort, header, SmtpSink } from '../helpers/smtp-sink.ts';
import { makeTestPki } from '../helpers/tls.ts';
import { waitFor } from '../helpers/wait.ts';

const n: Notification = {
  key: 'alert-17:ops@example.cl',
  eventId: 'alarm:gw-1:det-1:ch4:high2:raised:4711',
  severity: 'alarm',
  title: 'Alarma CH4 alta en pozo Nº 3',
  text: 'CH4 25,3 %LEL <sobre> el límite.',
  at: Date.UTC(2026, 11, 7, 19, 56, 24),
  ackUrl: 'https://relay.example.cl/ack?t=abc&s=1',
  facts: { gateway: 'gw-1', value: 25.3 },
};

let dir: string;
let sink: SmtpSink | undefined;
let channel: Channel | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-notify-email-'));
});

afterEach(async () => {
  await channel?.close();
  await sink?.stop();
  channel = undefined;
  sink = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Built as a process builds it: config through the schema, the password from the environment. */
const emailChannel = (raw: Record<string, unknown>, password?: string): Channel =>
  buildChannels(notifyChannelsSchema.parse({ email: { host: '127.0.0.1', from: 'atalaya@example.cl', timeoutMs: 3000, ...raw } }), {
    clock: systemClock,
    env: password !== undefined ? { ATALAYA_SMTP_PASSWORD: password } : {},
  }).get('email')!;

describe('email channel (aiosmtpd)', () => {
  it('delivers plain text and HTML with a Message-ID stable across two sends of the same key', async () => {
    sink = await SmtpSink.start({ dir });
    channel = emailChannel({ port: sink.port, security: 'none' });
    const first = await channel.send('ops@example.cl', n);
    const second = await channel.send('ops@example.cl', n);
    expect(first).toEqual({ ok: true, providerId: 'SINK1' });
    expect(second).toEqual({ ok: true, providerId: 'SINK2' });
    await waitFor(() => sink!.mails.length === 2, 'two mails stored');
    const [a, b] = sink.mails;
    expect(a!.to).toEqual(['ops@example.cl']);
    expect(header(a!.raw, 'Message-ID')).toBe(messageIdFor(n.key));
    expect(header(b!.raw, 'Message-ID')).toBe(header(a!.raw, 'Message-ID'));
    expect(header(a!.raw, 'X-Atalaya-Event')).toBe(n.eventId);
    expect(header(a!.raw, 'Content-Type')).toMatch(/^multipart\/alternative/);
    expect(a!.raw).toMatch(/Content-Type: text\/plain/);
    expect(a!.raw).toMatch(/Content-Type: text\/html/);
    expect(a!.raw).toContain('&lt;sobre&gt;');
    const other = await channel.send('ops@example.cl', { ...n, key: 'alert-18:ops@example.cl' });
    expect(other.ok).toBe(true);
    await waitFor(() => sink!.mails.length === 3, 'third mail stored');
    expect(header(sink.mails[2]!.raw, 'Message-ID')).not.toBe(header(a!.raw, 'Message-ID'));
  });

  it('logs in over STARTTLS to a server whose certificate chains to a private CA (caFile)', async () => {
    const pki = await makeTestPki(dir);
    sink = await SmtpSink.start({ dir, auth: { user: 'atalaya', password: 's3cret' }, starttls: { certFile: pki.certFile, keyFile: pki.keyFile } });
    channel = emailChannel({ host: 'localhost', port: sink.port, security: 'starttls', user: 'atalaya', caFile: pki.caFile }, 's3cret');
    expect(await channel.send('ops@example.cl', n)).toMatchObject({ ok: true });
    await waitFor(() => sink!.mails.length === 1, 'mail stored');
    expect(sink.mails[0]).toMatchObject({ tls: true });
  });

  it('logs in over implicit TLS (security: tls)', async () => {
    const pki = await makeTestPki(dir);
    sink = await SmtpSink.start({ dir, auth: { user: 'atalaya', password: 's3cret' }, tls: { certFile: pki.certFile, keyFile: pki.keyFile } });
    channel = emailChannel({ host: 'localhost', port: sink.port, security: 'tls', user: 'atalaya', caFile: pki.caFile }, 's3cret');
    expect(await channel.send('ops@example.cl', n)).toMatchObject({ ok: true });
    await waitFor(() => sink!.mails.length === 1, 'mail stored');
    expect(sink.mails[0]).toMatchObject({ tls: true });
  });

  it('reports refused credentials as retryable SMTP_AUTH', async () => {
    const pki = await makeTestPki(dir);
    sink = await SmtpSink.start({ dir, auth: { user: 'atalaya', password: 's3cret' }, starttls: { certFile: pki.certFile, keyFile: pki.keyFile } });
    channel = emailChannel({ host: 'localhost', port: sink.port, security: 'starttls', user: 'atalaya', caFile: pki.caFile }, 'wrong');
    const out = await channel.send('ops@example.cl', n);
    expect(out).toMatchObject({ ok: false, retryable: true, code: NOTIFY_SMTP_AUTH });
    expect(JSON.stringify(out)).not.toContain('wrong');
    expect(sink.mails).toEqual([]);
  });

  it('reports a server that requires AUTH, when no user is configured, as retryable SMTP_AUTH (530)', async () => {
    const pki = await makeTestPki(dir);
    sink = await SmtpSink.start({ dir, auth: { user: 'atalaya', password: 's3cret' }, starttls: { certFile: pki.certFile, keyFile: pki.keyFile } });
    channel = emailChannel({ host: 'localhost', port: sink.port, security: 'starttls', caFile: pki.caFile });
    expect(await channel.send('ops@example.cl', n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_SMTP_AUTH });
  });

  it('refuses a server certificate that does not chain to the configured CA', async () => {
    const pki = await makeTestPki(dir);
    sink = await SmtpSink.start({ dir, starttls: { certFile: pki.certFile, keyFile: pki.keyFile } });
    channel = emailChannel({ host: 'localhost', port: sink.port, security: 'starttls' });
    expect(await channel.send('ops@example.cl', n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_SMTP_UNREACHABLE });
  });

  it('reports a server that is down as retryable SMTP_UNREACHABLE', async () => {
    channel = emailChannel({ port: await freePort(), security: 'none' });
    expect(await channel.send('ops@example.cl', n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_SMTP_UNREACHABLE });
  });

  it('reports 550 to RCPT as SMTP_REJECTED, not retryable, and 450 as retryable SMTP_DEFERRED', async () => {
    sink = await SmtpSink.start({ dir });
    channel = emailChannel({ port: sink.port, security: 'none' });
    expect(await channel.send('reject@example.cl', n)).toMatchObject({ ok: false, retryable: false, code: NOTIFY_SMTP_REJECTED });
    expect(await channel.send('defer@example.cl', n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_SMTP_DEFERRED });
    expect(await channel.send('ops@example.cl', n)).toMatchObject({ ok: true });
  });

  it('closes twice and answers after close without throwing', async () => {
    channel = emailChannel({ port: await freePort(), security: 'none' });
    await channel.close();
    await channel.close();
    expect(await channel.send('ops@example.cl', n)).toMatchObject({ ok: false });
  });

  it('refuses to build with a CA file that cannot be read', () => {
    expect(() => emailChannel({ caFile: path.join(dir, 'missing.pem') })).toThrow(expect.objectContaining({ code: NOTIFY_CA_UNREADABLE }));
  });
});
