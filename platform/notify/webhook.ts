/**
 * Webhook channel: one POST of JSON to the address (a URL). The generic body is the Notification
 * itself, signed (X-Atalaya-Timestamp, X-Atalaya-Signature: v1=…) when a secret is set; the
 * presets post the body Slack, Teams (Workflows) or Google Chat expect. Every kind carries
 * Idempotency-Key (the Notification's key) and X-Atalaya-Event.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../../protocols/clock.ts';
import { webhookBody } from '../../protocols/notify/render.ts';
import { webhookHeaders } from '../../protocols/notify/webhook-signature.ts';
import { NOTIFY_BAD_ADDRESS, NOTIFY_CLOSED } from './errors.ts';
import { attempt, failure, isAnswer } from './http.ts';
import { isHttpUrl, type WebhookChannelConfig } from './schema.ts';
import type { Channel, DeliveryOutcome, Notification } from './types.ts';

export interface WebhookChannelOptions {
  readonly config: WebhookChannelConfig;
  /** The signing secret (generic preset only); none: unsigned. */
  readonly secret?: string | undefined;
  readonly clock: Clock;
  readonly dispatcher?: Dispatcher;
}

export class WebhookChannel implements Channel {
  readonly kind = 'webhook' as const;
  private closed = false;

  constructor(private readonly opts: WebhookChannelOptions) {}

  async send(address: string, message: Notification): Promise<DeliveryOutcome> {
    if (this.closed) return { ok: false, retryable: true, code: NOTIFY_CLOSED, detail: 'webhook channel closed' };
    if (!isHttpUrl(address)) return { ok: false, retryable: false, code: NOTIFY_BAD_ADDRESS, detail: 'not an http(s) URL' };
    const { config } = this.opts;
    const body = JSON.stringify(webhookBody(config.preset, message));
    const now = this.opts.clock.now();
    const signed = config.preset === 'generic' ? this.opts.secret : undefined;
    const headers = {
      ...config.headers,
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'atalaya-notify',
      ...webhookHeaders({ key: message.key, eventId: message.eventId, timestamp: Math.floor(now), body, secret: signed }),
    };
    const answer = await attempt({
      method: 'POST',
      url: address,
      headers,
      body,
      timeoutMs: config.timeoutMs,
      ...(this.opts.dispatcher !== undefined ? { dispatcher: this.opts.dispatcher } : {}),
    });
    if (!isAnswer(answer)) return answer;
    if (answer.status >= 200 && answer.status < 300) return { ok: true };
    return failure(answer, address, this.opts.clock.now());
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
