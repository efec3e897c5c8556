/**
 * `atalaya sim notify` as users run it (a spawned process): it prints its endpoints, catches a
 * mail over STARTTLS with AUTH from the email channel, takes a Twilio-style SMS, prints one line
 * per message, and exits 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildChannels, closeChannels } from '../../platform/notify/channels.ts';
import { notifyChannelsSchema } from '../../platform/notify/schema.ts';
import type { Notification } from '../../platform/notify/types.ts';
import { systemClock } from '../../protocols/clock.ts';
import { REPO_ROOT } from '../helpers/source-tree.ts';
import { waitFor } from '../helpers/wait.ts';

const SID = `AC${'0f'.repeat(16)}`;
const n: Notification = {
  key: 'alert-1:ops',
  eventId: 'alarm:gw-1:det-1:ch4:high2:raised:1',
  severity: 'alarm',
  title: 'Alarma CH4 alta en pozo Nº 3',
  text: 'CH4 25,3 %LEL',
  at: Date.UTC(2026, 11, 7, 12),
  facts: {},
};

let child: ChildProcess | undefined;
afterEach(() => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

describe('atalaya sim notify (child process)', () => {
  it('serves SMTP with STARTTLS and AUTH and a Twilio-style SMS API, one line per message', async () => {
    child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/atalaya.mjs'), 'sim', 'notify', '--starttls', '--smtp-user', 'atalaya', '--sms-sid', SID], {
      env: { ...process.env, ATALAYA_SIM_SMTP_PASSWORD: 'pw', ATALAYA_SIM_SMS_TOKEN: 'tok' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    const smtp = await waitFor(
      () => /smtp +127\.0\.0\.1:(\d+) +\(AUTH as atalaya; STARTTLS, certificate (\S+)\)/.exec(out) ?? (child!.exitCode !== null ? new Error(err) : undefined),
      'smtp line',
      30_000,
    );
    if (smtp instanceof Error) throw smtp;
    const base = /notify http +(\S+)/.exec(out)![1]!;
    const channels = buildChannels(
      notifyChannelsSchema.parse({
        email: {
          host: 'localhost',
          port: Number(smtp[1]),
          security: 'starttls',
          user: 'atalaya',
          caFile: smtp[2],
          from: 'atalaya@example.cl',
          timeoutMs: 5000,
        },
        sms: { preset: 'twilio', accountSid: SID, from: '+56900000000', baseUrl: base, timeoutMs: 5000 },
      }),
      { clock: systemClock, env: { ATALAYA_SMTP_PASSWORD: 'pw', ATALAYA_SMS_TOKEN: 'tok' } },
    );
    try {
      expect(await channels.get('email')!.send('ops@example.cl', n)).toMatchObject({ ok: true, providerId: 'SIM1' });
      expect(await channels.get('email')!.send('reject@example.cl', n)).toMatchObject({ ok: false, retryable: false });
      expect(await channels.get('sms')!.send('+56912345678', n)).toMatchObject({ ok: true });
    } finally {
      await closeChannels(channels);
    }
    await waitFor(() => /sms +#2 to \+56912345678 \(twilio\): Alarma CH4 alta en pozo No 3/.test(out), 'the SMS line');
    expect(out).toMatch(/email +#1 to ops@example\.cl: \[ALARM\] Alarma CH4 alta en pozo Nº 3/);
    const listed = (await (await fetch(`${base}/messages`)).json()) as { messages: Array<{ channel: string; key?: string }> };
    expect(listed.messages.map((m) => m.channel)).toEqual(['email', 'sms']);
    expect(listed.messages[0]!.key).toBe('<alert-1=3Aops@atalaya>');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses an unknown fault with exit code 2', async () => {
    child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/atalaya.mjs'), 'sim', 'notify', '--fail', 'teapot'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain('--fail');
  });
});
