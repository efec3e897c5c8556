/**
 * What arrived at the double, in order, with the facts a bench user checks: who it was for, its
 * text, its idempotency key (or Message-ID) and whether that key had been seen before.
 */
import type { Clock } from '../../protocols/clock.ts';

export type SimChannel = 'email' | 'webhook' | 'sms' | 'telegram';

export interface Arrival {
  readonly channel: SimChannel;
  readonly to: string;
  readonly from?: string;
  /** Subject (email), title-ish first line otherwise. */
  readonly subject?: string;
  readonly text: string;
  /** Idempotency-Key (webhook), Message-ID (email). */
  readonly key?: string;
  /** The webhook's HMAC verdict: `ok`, or why not (`missing`, `mismatch`, `stale`, `malformed`); absent without a secret. */
  readonly signature?: string;
  /** The preset a webhook body looks like (generic, slack, teams, googlechat). */
  readonly shape?: string;
  /** SMS: `twilio` or `template`. */
  readonly api?: string;
  /** The whole message as received (email source, request body). */
  readonly raw: string;
}

export interface Message extends Arrival {
  readonly seq: number;
  readonly at: number;
  /** This key (or Message-ID) arrived before. */
  readonly duplicate: boolean;
  /** The id the double answered with (queue id, SMS sid, Telegram message_id). */
  readonly id: string;
}

export class Inbox {
  readonly messages: Message[] = [];
  private readonly keys = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly onMessage: (m: Message) => void = () => undefined,
  ) {}

  add(a: Arrival, id: (seq: number) => string): Message {
    const seq = this.messages.length + 1;
    const scoped = a.key === undefined ? undefined : `${a.channel}\u0000${a.key}`;
    const seen = scoped === undefined ? 0 : (this.keys.get(scoped) ?? 0);
    if (scoped !== undefined) this.keys.set(scoped, seen + 1);
    const m: Message = { ...a, seq, at: this.clock.now(), duplicate: seen > 0, id: id(seq) };
    this.messages.push(m);
    this.onMessage(m);
    return m;
  }

  /** Messages of one channel, or all. */
  list(channel?: SimChannel): Message[] {
    return channel === undefined ? [...this.messages] : this.messages.filter((m) => m.channel === channel);
  }

  /** Keys that arrived more than once, with how many times. */
  duplicates(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, n] of this.keys) if (n > 1) out[k.split('\u0000')[1]!] = n;
    return out;
  }

  /** One line for a terminal. */
  static line(m: Message): string {
    const dup = m.duplicate ? '  DUPLICATE' : '';
    const sig = m.signature !== undefined ? `  signature ${m.signature}` : '';
    const what = m.subject ?? m.text.split('\n')[0] ?? '';
    return `${m.channel.padEnd(8)} #${m.seq} to ${m.to}${m.api !== undefined ? ` (${m.api})` : ''}${m.shape !== undefined ? ` (${m.shape})` : ''}: ${what.slice(0, 100)}${sig}${dup}\n`;
  }
}
