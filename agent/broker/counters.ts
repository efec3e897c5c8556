/**
 * Why the broker refused something. Payload problems (bad_json, schema, invalid_record,
 * oversized, unknown_topic) are acknowledged and dropped; the others close the client's
 * connection (see README "What a client sees").
 */
export const REFUSAL_REASONS = [
  'bad_json',
  'schema',
  'invalid_record',
  'oversized',
  'unknown_topic',
  'acl',
  'topic_levels',
  'flood',
  'store_failed',
  'subscribe_denied',
  'auth_failed',
  'auth_throttled',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type ReasonCounts = Partial<Record<RefusalReason, number>>;

/** Key for clients without a user name, and for user names that are not configured (bounded map). */
export const ANONYMOUS = '(anonymous)';
export const UNKNOWN_USER = '(unknown)';

export interface IntervalCounts {
  readonly byReason: ReasonCounts;
  readonly byClient: Record<string, ReasonCounts>;
}

/**
 * Refusal counts per client (user name) and reason: cumulative since start, and per report
 * interval so the log gets one summary line per interval instead of one line per message.
 */
export class RefusalCounters {
  private readonly total = new Map<string, Map<RefusalReason, number>>();
  private interval = new Map<string, Map<RefusalReason, number>>();

  add(client: string, reason: RefusalReason): void {
    for (const table of [this.total, this.interval]) {
      let row = table.get(client);
      if (row === undefined) table.set(client, (row = new Map()));
      row.set(reason, (row.get(reason) ?? 0) + 1);
    }
  }

  totals(): Record<RefusalReason, number> {
    const out = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;
    for (const row of this.total.values()) for (const [reason, n] of row) out[reason] += n;
    return out;
  }

  byClient(): Record<string, ReasonCounts> {
    return toObject(this.total);
  }

  /** Counts since the previous call, or undefined when nothing was refused meanwhile. */
  takeInterval(): IntervalCounts | undefined {
    if (this.interval.size === 0) return undefined;
    const byClient = toObject(this.interval);
    const byReason: ReasonCounts = {};
    for (const row of this.interval.values()) for (const [reason, n] of row) byReason[reason] = (byReason[reason] ?? 0) + n;
    this.interval = new Map();
    return { byReason, byClient };
  }
}

function toObject(table: Map<string, Map<RefusalReason, number>>): Record<string, ReasonCounts> {
  const out: Record<string, ReasonCounts> = {};
  for (const [client, row] of table) out[client] = Object.fromEntries(row) as ReasonCounts;
  return out;
}
