/**
 * The contract between whoever decides that people must be told (the relay's alerts, the agent's
 * local paging) and the channels that tell them (email, webhook, SMS provider, cellular modem).
 * A channel sends one message to one address and says how it went; retrying, back-off, the
 * outbox and the audit belong to the caller.
 */

// The message itself is defined with the pure text helpers that render it (protocols/notify/).
import type { Notification } from '../../protocols/notify/notification.ts';

export type { Notification, Severity } from '../../protocols/notify/notification.ts';

/** What a channel says about one attempt. */
export type DeliveryOutcome =
  | { readonly ok: true /** The provider's id of the message (SMTP queue id, SMS sid, modem message reference). */; readonly providerId?: string }
  | {
      readonly ok: false;
      /** false: resending the same message cannot succeed (bad address, refused credentials, 4xx other than 408/429). */
      readonly retryable: boolean;
      /** A stable ATALAYA_NOTIFY_* code. */
      readonly code: string;
      /** Short, secret-free, for the delivery log shown to operators. */
      readonly detail: string;
      /** The receiver asked to wait this long (Retry-After), ms. */
      readonly retryAfterMs?: number;
    };

/** One way of reaching people; `address` is the channel's own (an email address, a phone number, a URL). */
export interface Channel {
  readonly kind: ChannelKind;
  /** Never throws: every failure is an outcome. Must settle within the channel's own timeout. */
  send(address: string, message: Notification): Promise<DeliveryOutcome>;
  /** Releases connections (SMTP pool, serial port). Safe to call twice. */
  close(): Promise<void>;
}

export type ChannelKind = 'email' | 'webhook' | 'sms' | 'telegram' | 'modem';
