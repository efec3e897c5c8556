/**
 * The contract between whoever decides that people must be told (the relay's alerts, the agent's
 * local paging) and the channels that tell them (email, webhook, SMS provider, cellular modem).
 * A channel sends one message to one address and says how it went; retrying, back-off, the
 * outbox and the audit belong to the caller.
 */

export type Severity = 'info' | 'warning' | 'alarm';

/** One message about one event, already worded; the same for every channel it goes through. */
export interface Notification {
  /**
   * Idempotency key: the same for every attempt at this message to this recipient, so a receiver
   * (and an SMTP Message-ID) can drop a resend after a crash. Stable, ≤ 128 ASCII characters.
   */
  readonly key: string;
  /** Stable id of the event the message is about (e.g. `alarm:gw-1:det-1:ch4:high2:raised:4711`). */
  readonly eventId: string;
  readonly severity: Severity;
  /** One line, ≤ 120 characters: the email subject, the chat title, the start of an SMS. */
  readonly title: string;
  /** Plain text, several lines. */
  readonly text: string;
  /** When the event happened, ms since the epoch. */
  readonly at: number;
  /** A signed, expiring link that acknowledges the alert, when there is one. */
  readonly ackUrl?: string;
  /** Machine-readable facts (gateway, device, channel, value, unit, obra…) for webhooks. */
  readonly facts: Readonly<Record<string, string | number | boolean | null>>;
}

/** What a channel says about one attempt. */
export type DeliveryOutcome =
  | { readonly ok: true; /** The provider's id of the message (SMTP queue id, SMS sid, modem message reference). */ readonly providerId?: string }
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
