/**
 * The message every notification channel carries, defined here (pure) so that the text helpers
 * (sms-text.ts, render.ts) and the channels in platform/notify/ share one shape. The contract's
 * other half (Channel, DeliveryOutcome) is in platform/notify/types.ts, which re-exports these.
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
