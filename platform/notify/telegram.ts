/**
 * Telegram bot channel: Bot API `sendMessage` (POST JSON `{chat_id, text}` to
 * `<apiBase>/bot<token>/sendMessage`; the answer is `{ok, result: {message_id}}` or
 * `{ok: false, error_code, description, parameters: {retry_after}}`). The address is the chat id.
 * apiBase is configurable so the bench simulator (or a local Bot API server) can stand in.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../../protocols/clock.ts';
import { plainMessage } from '../../protocols/notify/render.ts';
import { NOTIFY_BAD_ADDRESS, NOTIFY_CLOSED } from './errors.ts';
import { attempt, failure, isAnswer, parseJson } from './http.ts';
import type { TelegramChannelConfig } from './schema.ts';
import type { Channel, DeliveryOutcome, Notification } from './types.ts';

const CHAT = /^-?\d{1,20}$|^@[A-Za-z][A-Za-z0-9_]{4,31}$/;
/** Bot API limit of one message's text, characters. */
const MAX_TEXT = 4096;

export interface TelegramChannelOptions {
  readonly config: TelegramChannelConfig;
  readonly token: string;
  readonly clock: Clock;
  readonly dispatcher?: Dispatcher;
}

export class TelegramChannel implements Channel {
  readonly kind = 'telegram' as const;
  private closed = false;

  constructor(private readonly opts: TelegramChannelOptions) {}

  async send(address: string, message: Notification): Promise<DeliveryOutcome> {
    if (this.closed) return { ok: false, retryable: true, code: NOTIFY_CLOSED, detail: 'telegram channel closed' };
    if (!CHAT.test(address)) return { ok: false, retryable: false, code: NOTIFY_BAD_ADDRESS, detail: 'not a Telegram chat id' };
    const { config } = this.opts;
    const url = `${config.apiBase.replace(/\/+$/, '')}/bot${this.opts.token}/sendMessage`;
    const body = JSON.stringify({ chat_id: address, text: plainMessage(message).slice(0, MAX_TEXT), disable_web_page_preview: true });
    const answer = await attempt({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'user-agent': 'atalaya-notify' },
      body,
      timeoutMs: config.timeoutMs,
      ...(this.opts.dispatcher !== undefined ? { dispatcher: this.opts.dispatcher } : {}),
    });
    if (!isAnswer(answer)) return answer;
    const json = parseJson(answer.text) as { result?: { message_id?: unknown }; parameters?: { retry_after?: unknown } } | undefined;
    if (answer.status >= 200 && answer.status < 300) {
      const id = json?.result?.message_id;
      return typeof id === 'number' ? { ok: true, providerId: String(id) } : { ok: true };
    }
    const out = failure(answer, url, this.opts.clock.now());
    const after = json?.parameters?.retry_after;
    return typeof after === 'number' && out.retryable && out.retryAfterMs === undefined ? { ...out, retryAfterMs: after * 1000 } : out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
