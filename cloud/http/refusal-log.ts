/**
 * Refused requests, logged as one summary line per interval (issue 19 item 10): an anonymous
 * client can make the relay refuse thousands of requests a second, and one line each filled 11.8 MB
 * of log in 15 s. The counts by refusal and the number of distinct client addresses say what an
 * operator needs; the per-request detail is in the metrics (atalaya_relay_ingest_requests_total).
 * Memory is bounded: at most MAX_ADDRESSES addresses and MAX_GATEWAYS gateway ids are remembered
 * per interval, beyond that only counted.
 */
/** What the summary needs of a logger (pino's, Fastify's). */
interface WarnLogger {
  warn(obj: object, msg: string): void;
}

const MAX_ADDRESSES = 10_000;
const MAX_GATEWAYS = 20;

export class RefusalLog {
  private readonly counts = new Map<string, number>();
  private readonly addresses = new Set<string>();
  /** Refusals of requests that proved a gateway's identity, by gateway: worth naming in the summary. */
  private readonly gateways = new Map<string, number>();
  private moreAddresses = false;
  private timer: NodeJS.Timeout | undefined;

  /** `intervalMs`: at most one line per interval; the first refusal of a quiet period starts one. */
  constructor(
    private readonly logger: WarnLogger,
    private readonly intervalMs: number,
    private readonly message = 'ingest refusals',
  ) {}

  /** One refused request: its refusal word, the client address, the gateway if it authenticated. */
  note(refusal: string, address: string, gateway?: string): void {
    this.counts.set(refusal, (this.counts.get(refusal) ?? 0) + 1);
    if (this.addresses.size < MAX_ADDRESSES) this.addresses.add(address);
    else if (!this.addresses.has(address)) this.moreAddresses = true;
    if (gateway !== undefined && (this.gateways.has(gateway) || this.gateways.size < MAX_GATEWAYS))
      this.gateways.set(gateway, (this.gateways.get(gateway) ?? 0) + 1);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes the summary of what was noted since the last one, if anything; stops the timer. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counts.size === 0) return;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    const summary = {
      total,
      refused: Object.fromEntries(this.counts),
      addresses: this.addresses.size,
      ...(this.moreAddresses ? { moreAddresses: true } : {}),
      ...(this.gateways.size > 0 ? { gateways: Object.fromEntries(this.gateways) } : {}),
      intervalMs: this.intervalMs,
    };
    this.counts.clear();
    this.addresses.clear();
    this.gateways.clear();
    this.moreAddresses = false;
    this.logger.warn(summary, this.message);
  }
}
