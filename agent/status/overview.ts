import type { Clock } from '../../protocols/clock.ts';
import type { BrokerStats } from '../broker/broker.ts';
import type { BufferStats } from '../buffer/buffer.ts';
import type { PagerStatus } from '../paging/pager.ts';
import type { SyncStatus } from '../sync/types.ts';
import type { StatusSources } from './sources.ts';
import type { SystemHealth, SystemProbe } from './system.ts';

export interface Overview {
  readonly gateway: {
    readonly id: string;
    readonly version: string;
    /** Wall clock when the status server started (the agent starts it last), ms since the epoch. */
    readonly startedAt: number;
    readonly uptimeS: number;
    readonly bootId: string;
    readonly clockSynced: boolean;
    readonly now: number;
  };
  readonly system: SystemHealth;
  readonly buffer: BufferStats;
  readonly sync: SyncStatus | null;
  readonly mqtt: BrokerStats | null;
  /** Local paging (agent/paging); null when paging.enabled is false. */
  readonly paging: PagerStatus | null;
}

export interface OverviewContext {
  readonly sources: StatusSources;
  readonly system: SystemProbe;
  readonly clock: Clock;
  readonly version: string;
  readonly startedAt: number;
  /** clock.monotonic() at start: uptime does not jump with the wall clock. */
  readonly startedMono: number;
}

export async function buildOverview(c: OverviewContext): Promise<Overview> {
  const { sources, clock } = c;
  const system = await c.system.read();
  return {
    gateway: {
      id: sources.gatewayId,
      version: c.version,
      startedAt: c.startedAt,
      uptimeS: Math.floor((clock.monotonic() - c.startedMono) / 1000),
      bootId: sources.bootId,
      clockSynced: sources.clockSynced(),
      now: clock.now(),
    },
    system,
    buffer: sources.buffer.stats(),
    sync: sources.sync(),
    mqtt: sources.broker(),
    paging: sources.paging?.() ?? null,
  };
}
