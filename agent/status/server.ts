import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { AtalayaError } from '../../protocols/errors.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { buildStatusApp } from './app.ts';
import { TokenSet } from './auth.ts';
import type { StatusContext } from './context.ts';
import { STATUS_LISTEN } from './errors.ts';
import { EventHub } from './events.ts';
import { LiveView } from './live.ts';
import { buildOverview } from './overview.ts';
import type { StatusSources } from './sources.ts';
import { SystemProbe } from './system.ts';
import { readAgentVersion } from './version.ts';

export interface StatusServerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  /** sha256 hex of the accepted tokens (statusTokenHashes). */
  readonly tokens: readonly string[];
  readonly sources: StatusSources;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where index.html, app.js and app.css are; default agent/status/ui beside this file. */
  readonly uiDir?: string;
  /** Root under which /sys and /proc are read; '/' except in tests. */
  readonly systemRoot?: string;
  /** SSE periods, ms: overview 2000, ping 15000 unless tests shorten them. */
  readonly overviewMs?: number;
  readonly pingMs?: number;
}

/** Readings kept per channel for the page's chart: 12 min at the default 1 s interval. */
const SERIES_LENGTH = 720;
const RECENT_ALARMS = 50;
const MAX_SSE_BUFFERED = 1024 * 1024;

/**
 * The technician's status page and its JSON APIs (README.md in this folder). Started last and
 * stopped first by the agent, so it never shows a part that is not running.
 */
export class StatusServer {
  app: FastifyInstance | undefined;
  private readonly log: Logger;
  private hub: EventHub | undefined;
  private onCommitted: ((records: readonly StoredRecord[]) => void) | undefined;
  private bound: { host: string; port: number } | undefined;

  constructor(private readonly o: StatusServerOptions) {
    this.log = o.logger.child({ component: 'status' });
  }

  /** Bound address once started (the real port when configured as 0). */
  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /** Binds the address; rejects with STATUS_LISTEN when it cannot. */
  async start(): Promise<void> {
    if (this.app !== undefined) return;
    const { sources, clock } = this.o;
    const live = new LiveView({ seriesLength: SERIES_LENGTH, recentAlarms: RECENT_ALARMS });
    const system = new SystemProbe({
      diskPath: path.dirname(path.resolve(sources.bufferPath)),
      ...(this.o.systemRoot !== undefined ? { root: this.o.systemRoot } : {}),
    });
    const overviewContext = { sources, system, clock, version: readAgentVersion(), startedAt: clock.now(), startedMono: clock.monotonic() };
    const overview = () => buildOverview(overviewContext);
    const hub = new EventHub({
      overview,
      overviewMs: this.o.overviewMs ?? 2000,
      pingMs: this.o.pingMs ?? 15_000,
      maxBufferedBytes: MAX_SSE_BUFFERED,
      logger: this.log,
    });
    const ctx: StatusContext = {
      sources,
      live,
      hub,
      clock,
      tokens: new TokenSet(this.o.tokens),
      overview,
      uiDir: this.o.uiDir ?? fileURLToPath(new URL('./ui/', import.meta.url)),
    };
    live.seed(sources.buffer);
    this.onCommitted = (records) => {
      live.add(records);
      hub.broadcast('records', records);
      if (records.some((r) => r.kind === 'alarm')) hub.broadcast('alarms', { active: sources.alarms.active() });
    };
    sources.buffer.on('committed', this.onCommitted);
    this.hub = hub;
    this.app = buildStatusApp(ctx, this.log);
    try {
      await this.app.listen({ host: this.o.listen.host, port: this.o.listen.port });
    } catch (err) {
      await this.stop();
      throw new AtalayaError(
        STATUS_LISTEN,
        `status page cannot listen on ${this.o.listen.host}:${this.o.listen.port}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        { cause: err, details: { ...this.o.listen } },
      );
    }
    const address = this.app.server.address();
    this.bound = typeof address === 'object' && address !== null ? { host: address.address, port: address.port } : { ...this.o.listen };
    if (this.o.tokens.length === 0) this.log.warn('no status token configured: every API answers 401 (atalaya agent token add)');
    this.log.info({ host: this.bound.host, port: this.bound.port }, 'status page listening');
  }

  /** Ends every event stream, then closes the server. Idempotent. */
  async stop(): Promise<void> {
    const app = this.app;
    if (app === undefined) return;
    this.app = undefined;
    this.bound = undefined;
    this.hub?.stop();
    this.hub = undefined;
    if (this.onCommitted !== undefined) this.o.sources.buffer.off('committed', this.onCommitted);
    this.onCommitted = undefined;
    await app.close();
  }
}
