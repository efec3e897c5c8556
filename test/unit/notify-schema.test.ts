import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { notifyChannelsSchema } from '../../platform/notify/schema.ts';
import { problemsFromZod } from '../../protocols/config-errors.ts';

const problems = (raw: unknown): Array<{ path: string; message: string }> => {
  const r = notifyChannelsSchema.safeParse(raw);
  return r.success ? [] : problemsFromZod(notifyChannelsSchema, r.error.issues);
};
const paths = (raw: unknown): string[] => problems(raw).map((p) => p.path);

describe('notification channel config', () => {
  it('accepts a full config and fills the defaults', () => {
    const c = notifyChannelsSchema.parse({
      email: { host: 'smtp.example.cl', from: 'atalaya@example.cl', user: 'atalaya' },
      webhook: { preset: 'slack' },
      sms: { preset: 'twilio', accountSid: `AC${'0'.repeat(32)}`, from: '+56900000000' },
      telegram: {},
    });
    expect(c.email).toMatchObject({ port: 587, security: 'starttls', passwordEnv: 'ATALAYA_SMTP_PASSWORD', timeoutMs: 10_000 });
    expect(c.sms).toMatchObject({ baseUrl: 'https://api.twilio.com', tokenEnv: 'ATALAYA_SMS_TOKEN', maxSeptets: 160 });
    expect(c.telegram).toMatchObject({ apiBase: 'https://api.telegram.org' });
  });

  it('reports a bad email address, URL and phone at their paths', () => {
    expect(paths({ email: { host: 'h', from: 'not an address' } })).toEqual(['email.from']);
    expect(paths({ telegram: { apiBase: 'ftp://x' } })).toEqual(['telegram.apiBase']);
    expect(paths({ sms: { preset: 'twilio', accountSid: 'AC1', from: '+5690' } })).toEqual(['sms.accountSid']);
    expect(paths({ webhook: { preset: 'discord' } })).toEqual(['webhook.preset']);
  });

  it('reports an unknown template placeholder at the field that has it', () => {
    const p = problems({ sms: { preset: 'template', template: { url: 'https://sms.example/send?k={{token}}', body: { To: '{{to}}', Msg: '{{mesage}}' } } } });
    expect(p.map((x) => x.path)).toEqual(['sms.template.body.Msg']);
    expect(p[0]?.message).toContain("'mesage'");
    expect(paths({ sms: { preset: 'template', template: { url: 'https://x/{{to}', body: {} } } })).toEqual(['sms.template.url']);
    expect(paths({ sms: { preset: 'template', template: { url: '{{to}}', body: {} } } })).toEqual(['sms.template.url']);
    expect(paths({ sms: { preset: 'template', template: { url: 'https://x', headers: { Authorization: 'Bearer {{secret}}' } } } })).toEqual([
      'sms.template.headers.Authorization',
    ]);
  });

  it('rejects unknown keys with a hint', () => {
    expect(problems({ email: { host: 'h', from: 'a@b.cl', pasword: 'x', timeoutMS: 5000 } }).map((p) => p.message)).toEqual([
      'unknown key; expected one of host, port, security, user, passwordEnv, passwordFile, caFile, from, timeoutMs',
      "unknown key (did you mean 'timeoutMs'?)",
    ]);
  });

  it('exports as JSON Schema (as the agent and relay schemas that embed it do)', () => {
    const j = z.toJSONSchema(notifyChannelsSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
    expect(Object.keys(j.properties)).toEqual(['email', 'webhook', 'sms', 'telegram']);
  });
});
