/**
 * SMS through an HTTP provider: Twilio's Messages resource (POST form To, From, Body to
 * `<baseUrl>/2010-04-01/Accounts/<sid>/Messages.json`, HTTP basic auth SID:token, answer 201 with
 * the message `sid`), or any provider described by a template (method, URL, headers, flat body
 * fields with `{{to}}`, `{{from}}`, `{{text}}`, `{{token}}`, sent as a form or JSON). The text is
 * the notification's title and text fitted into one GSM-7 SMS (protocols/notify/sms-text.ts).
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../../protocols/clock.ts';
import { smsBody } from '../../protocols/notify/sms-text.ts';
import { NOTIFY_BAD_ADDRESS, NOTIFY_CLOSED } from './errors.ts';
import { attempt, failure, isAnswer, parseJson } from './http.ts';
import { fillTemplate, type SmsChannelConfig, type SmsTemplateConfig, type TemplateValues } from './schema.ts';
import type { Channel, DeliveryOutcome, Notification } from './types.ts';

const E164 = /^\+[1-9]\d{6,14}$/;

export interface SmsHttpChannelOptions {
  readonly config: SmsChannelConfig;
  /** Twilio's auth token, or the template's `{{token}}`. */
  readonly token: string;
  readonly clock: Clock;
  readonly dispatcher?: Dispatcher;
}

interface Request {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly idField: string;
}

export class SmsHttpChannel implements Channel {
  readonly kind = 'sms' as const;
  private closed = false;

  constructor(private readonly opts: SmsHttpChannelOptions) {}

  /** The exact text an SMS about `message` carries. */
  text(message: Notification): string {
    return smsBody(message.title, message.text, this.opts.config.maxSeptets);
  }

  async send(address: string, message: Notification): Promise<DeliveryOutcome> {
    if (this.closed) return { ok: false, retryable: true, code: NOTIFY_CLOSED, detail: 'sms channel closed' };
    if (!E164.test(address)) return { ok: false, retryable: false, code: NOTIFY_BAD_ADDRESS, detail: 'not an E.164 phone number' };
    const req = this.request(address, this.text(message));
    const answer = await attempt({
      ...req,
      timeoutMs: this.opts.config.timeoutMs,
      ...(this.opts.dispatcher !== undefined ? { dispatcher: this.opts.dispatcher } : {}),
    });
    if (!isAnswer(answer)) return answer;
    const json = parseJson(answer.text) as Record<string, unknown> | undefined;
    if (answer.status >= 200 && answer.status < 300) {
      const id = json?.[req.idField];
      return typeof id === 'string' || typeof id === 'number' ? { ok: true, providerId: String(id) } : { ok: true };
    }
    // Twilio's error body names its own code (21211: invalid To): worth showing to operators.
    const providerCode = json?.['code'];
    return failure(
      answer,
      req.url,
      this.opts.clock.now(),
      typeof providerCode === 'number' || typeof providerCode === 'string' ? `(provider code ${providerCode})` : undefined,
    );
  }

  private request(to: string, text: string): Request {
    const c = this.opts.config;
    if (c.preset === 'twilio') {
      const base = c.baseUrl.replace(/\/+$/, '');
      const form = new URLSearchParams({ To: to, From: c.from, Body: text });
      const auth = Buffer.from(`${c.accountSid}:${this.opts.token}`, 'utf8').toString('base64');
      return {
        method: 'POST',
        url: `${base}/2010-04-01/Accounts/${c.accountSid}/Messages.json`,
        idField: 'sid',
        body: form.toString(),
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'atalaya-notify' },
      };
    }
    return templateRequest(c.template, { to, from: c.from ?? '', text, token: this.opts.token });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The request a template describes, filled with `values` (URL placeholders percent-encoded). */
export function templateRequest(t: SmsTemplateConfig, values: TemplateValues): Request {
  const fields = Object.fromEntries(Object.entries(t.body).map(([k, v]) => [k, fillTemplate(v, values)]));
  const headers: Record<string, string> = { 'user-agent': 'atalaya-notify' };
  for (const [k, v] of Object.entries(t.headers)) headers[k.toLowerCase()] = fillTemplate(v, values);
  let url = fillTemplate(t.url, values, encodeURIComponent);
  let body: string | undefined;
  if (t.method === 'GET') {
    const u = new URL(url);
    for (const [k, v] of Object.entries(fields)) u.searchParams.set(k, v);
    url = u.toString();
  } else if (t.encoding === 'json') {
    body = JSON.stringify(fields);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  } else {
    body = new URLSearchParams(fields).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  return { method: t.method, url, headers, idField: t.idField, ...(body !== undefined ? { body } : {}) };
}
