import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export interface EventHubOptions {
  /** The `overview` event's data, built once per tick for every client. */
  readonly overview: () => Promise<unknown>;
  /** Period of the `overview` event, ms. */
  readonly overviewMs: number;
  /** Period of the `: ping` comment that keeps proxies and phones from dropping an idle stream, ms. */
  readonly pingMs: number;
  /** A client whose socket holds more unsent bytes than this is dropped (a stalled phone must not grow the agent's memory). */
  readonly maxBufferedBytes: number;
  readonly logger: Logger;
}

/**
 * Server-Sent Events to the open pages (docs/formats.md#server-sent-events).
 * Timers run only while a client is connected; stop() ends every stream so the HTTP server can close.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly log: Logger;
  private overviewTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private building = false;
  private stopped = false;

  constructor(private readonly o: EventHubOptions) {
    this.log = o.logger.child({ component: 'status-events' });
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response whose headers are written; it stays open until the client leaves or stop(). */
  add(res: ServerResponse): void {
    if (res.destroyed || res.writableEnded) return;
    if (this.stopped) {
      res.end();
      return;
    }
    this.clients.add(res);
    res.once('close', () => this.remove(res));
    this.log.debug({ clients: this.clients.size }, 'event stream opened');
    if (this.overviewTimer === undefined) {
      this.overviewTimer = setInterval(() => void this.tickOverview(), this.o.overviewMs);
      this.pingTimer = setInterval(() => this.write(': ping\n\n'), this.o.pingMs);
    }
  }

  /** Sends one event to one client (the initial state of a new stream). */
  sendTo(res: ServerResponse, event: string, data: unknown): void {
    if (this.clients.has(res)) this.writeTo(res, frame(event, data));
  }

  broadcast(event: string, data: unknown): void {
    if (this.clients.size > 0) this.write(frame(event, data));
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    for (const res of [...this.clients]) res.end();
    this.clients.clear();
  }

  private remove(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    this.log.debug({ clients: this.clients.size }, 'event stream closed');
    if (this.clients.size === 0) this.clearTimers();
  }

  private clearTimers(): void {
    clearInterval(this.overviewTimer);
    clearInterval(this.pingTimer);
    this.overviewTimer = this.pingTimer = undefined;
  }

  private async tickOverview(): Promise<void> {
    // A slow statfs on a busy SD card must not pile up overlapping builds.
    if (this.building) return;
    this.building = true;
    try {
      this.broadcast('overview', await this.o.overview());
    } catch (err) {
      this.log.warn({ err }, 'overview event not built');
    } finally {
      this.building = false;
    }
  }

  private write(text: string): void {
    for (const res of this.clients) this.writeTo(res, text);
  }

  private writeTo(res: ServerResponse, text: string): void {
    if (res.destroyed) {
      this.remove(res);
      return;
    }
    if (res.writableLength > this.o.maxBufferedBytes) {
      this.log.warn({ buffered: res.writableLength }, 'event stream client too slow; dropped');
      this.remove(res);
      res.destroy();
      return;
    }
    res.write(text);
  }
}

/** One event; JSON.stringify never emits a raw newline, so `data` is a single line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
