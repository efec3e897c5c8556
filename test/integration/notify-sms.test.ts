/**
 * The SMS channel (Twilio preset and a template) and the Telegram channel through the notification
 * double (simulators/notify/), with its faults; and the webhook receiver's duplicate counting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildChannels, closeChannels } from '../../platform/notify/channels.ts';
import { NOTIFY_BAD_ADDRESS, NOTIFY_HTTP_AUTH, NOTIFY_HTTP_REJECTED, NOTIFY_HTTP_RETRY, NOTIFY_SECRET_MISSING } from '../../platform/notify/errors.ts';
import { notifyChannelsSchema } from '../../platform/notify/schema.ts';
import type { Channel, ChannelKind, Notification } from '../../platform/notify/types.ts';
import { systemClock } from '../../protocols/clock.ts';
import { isGsm7, septetCount } from '../../protocols/notify/sms-text.ts';
import type { NotifyFaults } from '../../simulators/notify/faults.ts';
import { NotifySimulator } from '../../simulators/notify/simulator.ts';

const SID = `AC${'a1'.repeat(16)}`;
const n: Notification = {
  key: 'alert-17:+56912345678',
  eventId: 'alarm:gw-1:det-1:ch4:high2:raised:4711',
  severity: 'alarm',
  title: 'Alarma CH4 alta: 25,3 %LEL en pozo Nº 3 — ¿acción?',
  text: 'Detector det-1 en gw-1, nivel alto 2 desde las 14:03. Revise la ventilación y evacúe el área si supera 50 %LEL. Confirme el aviso con el enlace.',
  at: Date.UTC(2026, 11, 7, 19, 56, 24),
  facts: { gateway: 'gw-1' },
};

let sim: NotifySimulator | undefined;
let channels: Array<Map<ChannelKind, Channel>> = [];
afterEach(async () => {
  for (const c of channels) await closeChannels(c);
  await sim?.stop();
  sim = undefined;
  channels = [];
});

async function setup(faults?: NotifyFaults): Promise<{ sms: Channel; template: Channel; telegram: Channel; webhook: Channel; base: string }> {
  sim = new NotifySimulator({
    noSmtp: true,
    smsAccountSid: SID,
    smsToken: 'tok',
    telegramToken: '123:abc',
    webhookSecret: 'whs',
    clock: systemClock,
    seed: 1,
    ...(faults !== undefined ? { faults } : {}),
  });
  await sim.start();
  const base = sim.httpUrl!;
  const env = { ATALAYA_SMS_TOKEN: 'tok', ATALAYA_TELEGRAM_TOKEN: '123:abc', ATALAYA_WEBHOOK_SECRET: 'whs', TEMPLATE_TOKEN: 'tok' };
  const config = (sms: unknown) => notifyChannelsSchema.parse({ sms, telegram: { apiBase: base, timeoutMs: 2000 }, webhook: { timeoutMs: 2000 } });
  const twilio = buildChannels(config({ preset: 'twilio', accountSid: SID, from: '+56900000000', baseUrl: base, timeoutMs: 2000 }), {
    clock: systemClock,
    env,
  });
  const tmpl = buildChannels(
    notifyChannelsSchema.parse({
      sms: {
        preset: 'template',
        tokenEnv: 'TEMPLATE_TOKEN',
        from: 'ATALAYA',
        timeoutMs: 2000,
        template: {
          url: `${base}/sms`,
          encoding: 'json',
          headers: { Authorization: 'Bearer {{token}}' },
          body: { to: '{{to}}', text: '{{text}}', from: '{{from}}' },
        },
      },
    }),
    { clock: systemClock, env },
  );
  channels.push(twilio, tmpl);
  return { sms: twilio.get('sms')!, template: tmpl.get('sms')!, telegram: twilio.get('telegram')!, webhook: twilio.get('webhook')!, base };
}

describe('SMS provider channel through the double', () => {
  it('sends through the Twilio preset: Spanish text transliterated, one SMS of at most 160 septets', async () => {
    const { sms } = await setup();
    const out = await sms.send('+56912345678', n);
    expect(out).toMatchObject({ ok: true, providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    const [m] = sim!.inbox.list('sms');
    expect(m).toMatchObject({ to: '+56912345678', from: '+56900000000', api: 'twilio' });
    expect(m!.text.startsWith('Alarma CH4 alta: 25,3 %LEL en pozo No 3 - ¿accion?\nDetector det-1')).toBe(true);
    expect(isGsm7(m!.text)).toBe(true);
    expect(septetCount(m!.text)).toBeLessThanOrEqual(160);
  });

  it('sends through a template (JSON, Bearer {{token}})', async () => {
    const { template } = await setup();
    expect(await template.send('+56912345678', n)).toEqual({ ok: true, providerId: 'msg-1' });
    expect(sim!.inbox.list('sms')[0]).toMatchObject({ to: '+56912345678', from: 'ATALAYA', api: 'template' });
  });

  it('reports a refused token as not retryable, an unknown number as a bad address', async () => {
    const { sms, base } = await setup();
    const wrong = buildChannels(notifyChannelsSchema.parse({ sms: { preset: 'twilio', accountSid: SID, from: '+56900000000', baseUrl: base } }), {
      clock: systemClock,
      env: { ATALAYA_SMS_TOKEN: 'nope' },
    });
    expect(await wrong.get('sms')!.send('+56912345678', n)).toMatchObject({ ok: false, retryable: false, code: NOTIFY_HTTP_AUTH });
    await closeChannels(wrong);
    expect(await sms.send('56912345678', n)).toMatchObject({ ok: false, retryable: false, code: NOTIFY_BAD_ADDRESS });
    expect(sim!.inbox.list()).toEqual([]);
  });

  it('maps the double faults: 5xx and 429 (Retry-After) retryable, auth not', async () => {
    let { sms, telegram } = await setup({ kind: '5xx' });
    expect(await sms.send('+56912345678', n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_RETRY });
    await sim!.stop();
    ({ sms, telegram } = await setup({ kind: '429', retryAfterS: 3 }));
    expect(await sms.send('+56912345678', n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_RETRY, retryAfterMs: 3000 });
    expect(await telegram.send('-1001234567890', n)).toMatchObject({ ok: false, retryable: true, code: NOTIFY_HTTP_RETRY, retryAfterMs: 3000 });
    await sim!.stop();
    ({ sms } = await setup({ kind: 'auth' }));
    expect(await sms.send('+56912345678', n)).toMatchObject({ ok: false, retryable: false, code: NOTIFY_HTTP_AUTH });
  });

  it('fails about a rate of the requests with a seeded fault', async () => {
    const { sms } = await setup({ kind: '5xx', rate: 0.5 });
    const outs = [];
    for (let i = 0; i < 20; i++) outs.push(await sms.send('+56912345678', { ...n, key: `k${i}` }));
    const failed = outs.filter((o) => !o.ok).length;
    expect(failed).toBeGreaterThan(2);
    expect(failed).toBeLessThan(18);
    expect(sim!.inbox.list('sms')).toHaveLength(20 - failed);
  });
});

describe('Telegram channel and webhook receiver through the double', () => {
  it('sends a Telegram message to a chat and gets its message_id', async () => {
    const { telegram } = await setup();
    expect(await telegram.send('-1001234567890', n)).toEqual({ ok: true, providerId: '1' });
    expect(sim!.inbox.list('telegram')[0]!.text).toContain('ALARM: Alarma CH4 alta');
    expect(await telegram.send('not a chat', n)).toMatchObject({ ok: false, code: NOTIFY_BAD_ADDRESS });
  });

  it('checks the webhook signature and reports a resent key as a duplicate', async () => {
    const { webhook, base } = await setup();
    expect(await webhook.send(`${base}/webhook/ops`, n)).toEqual({ ok: true });
    expect(await webhook.send(`${base}/webhook/ops`, n)).toEqual({ ok: true });
    const [a, b] = sim!.inbox.list('webhook');
    expect(a).toMatchObject({ signature: 'ok', key: n.key, duplicate: false, shape: 'generic' });
    expect(b).toMatchObject({ signature: 'ok', duplicate: true });
    expect(sim!.inbox.duplicates()).toEqual({ [n.key]: 2 });
    const res = await fetch(`${base}/messages?channel=webhook`);
    expect(((await res.json()) as { messages: unknown[] }).messages).toHaveLength(2);
  });

  it('refuses to build an SMS channel without its token, naming where it looked', () => {
    expect(() =>
      buildChannels(notifyChannelsSchema.parse({ sms: { preset: 'twilio', accountSid: SID, from: '+56900000000' } }), { clock: systemClock, env: {} }),
    ).toThrow(expect.objectContaining({ code: NOTIFY_SECRET_MISSING }));
  });

  it('rejects a bad request as not retryable', async () => {
    const { base } = await setup();
    const bad = buildChannels(
      notifyChannelsSchema.parse({
        sms: { preset: 'template', template: { url: `${base}/sms`, headers: { Authorization: 'Bearer {{token}}' }, body: { to: '{{to}}' } } },
      }),
      { clock: systemClock, env: { ATALAYA_SMS_TOKEN: 'tok' } },
    );
    expect(await bad.get('sms')!.send('+56912345678', n)).toMatchObject({ ok: false, retryable: false, code: NOTIFY_HTTP_REJECTED });
    await closeChannels(bad);
  });
});
