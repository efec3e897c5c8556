/** FleetStore over the relay's SQL executor (fleet-types.ts), the same statements on SQLite and PostgreSQL. */
import type { HealthReport } from '../../protocols/fleet/health.ts';
import { FLEET_SQL as S } from './fleet-sql.ts';
import type { FleetGatewayRow, FleetHistoryRow, FleetStore } from './fleet-types.ts';
import type { SqlExecutor } from './sql-executor.ts';

interface GatewayRow {
  gateway: string;
  lastPollAt: number | string;
  polls: number | string;
  healthAt: number | string | null;
  health: string | null;
}

type HistoryRow = { [K in keyof FleetHistoryRow]: unknown };

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function decodeGateway(r: GatewayRow): FleetGatewayRow {
  return {
    gateway: r.gateway,
    lastPollAt: num(r.lastPollAt),
    polls: num(r.polls),
    healthAt: numOrNull(r.healthAt),
    // Written by recordPoll from a parsed report: trusted JSON.
    health: r.health === null ? null : (JSON.parse(r.health) as HealthReport),
  };
}

function decodeHistory(r: HistoryRow): FleetHistoryRow {
  return {
    at: num(r.at),
    bufferDepth: num(r.bufferDepth),
    diskFreeBytes: numOrNull(r.diskFreeBytes),
    cpuTempC: numOrNull(r.cpuTempC),
    rssBytes: num(r.rssBytes),
    devicesUp: num(r.devicesUp),
    devicesTotal: num(r.devicesTotal),
    // SQLite stores 0/1, PostgreSQL a boolean.
    clockSynced: r.clockSynced === true || r.clockSynced === 1,
  };
}

export class SqlFleetStore implements FleetStore {
  constructor(private readonly db: SqlExecutor) {}

  async recordPoll(gateway: string, now: number, health: HealthReport | undefined, keepSince: number): Promise<void> {
    const synced = this.db.dialect === 'postgres' ? (health?.clock.synced ?? false) : health?.clock.synced === true ? 1 : 0;
    await this.db.groupedTransaction('fleet poll', async (q) => {
      await q(S.upsertPoll, [gateway, now, health === undefined ? null : now, health === undefined ? null : JSON.stringify(health)]);
      if (health === undefined) return;
      await q(S.insertHistory, [
        gateway,
        now,
        health.buffer.depth,
        health.disk?.freeBytes ?? null,
        health.cpuTempC,
        health.memory.rssBytes,
        health.devices.filter((d) => d.state === 'ok').length,
        health.devices.length,
        synced,
      ]);
      await q(S.pruneHistory, [gateway, keepSince]);
    });
  }

  async listFleet(): Promise<FleetGatewayRow[]> {
    return (await this.db.query<GatewayRow>(S.list, [])).rows.map(decodeGateway);
  }

  async getFleetGateway(gateway: string): Promise<FleetGatewayRow | undefined> {
    const row = (await this.db.query<GatewayRow>(S.get, [gateway])).rows[0];
    return row === undefined ? undefined : decodeGateway(row);
  }

  async history(gateway: string, since: number, limit: number): Promise<FleetHistoryRow[]> {
    return (await this.db.query<HistoryRow>(S.history, [gateway, since, limit])).rows.map(decodeHistory);
  }
}
