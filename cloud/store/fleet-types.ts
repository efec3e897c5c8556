/**
 * What the relay keeps of its fleet (cloud/fleet): each gateway's latest poll and health report,
 * and a bounded history of the figures the Fleet tab charts. Several relays on one PostgreSQL
 * database share it: a poll is one upsert and one insert, the last writer's report is the latest.
 */
import type { HealthReport } from '../../protocols/fleet/health.ts';

export interface FleetGatewayRow {
  readonly gateway: string;
  /** Relay clock of the last accepted poll, ms since the epoch. */
  readonly lastPollAt: number;
  /** Accepted polls since the gateway first polled. */
  readonly polls: number;
  /** Relay clock of the last poll that carried a health report; null before the first. */
  readonly healthAt: number | null;
  readonly health: HealthReport | null;
}

/** One report's figures (fleet_health). */
export interface FleetHistoryRow {
  readonly at: number;
  readonly bufferDepth: number;
  readonly diskFreeBytes: number | null;
  readonly cpuTempC: number | null;
  readonly rssBytes: number;
  readonly devicesUp: number;
  readonly devicesTotal: number;
  readonly clockSynced: boolean;
}

export interface FleetStore {
  /**
   * One accepted poll of `gateway` at `now`: its last poll, and when it carries a report, the
   * latest report and a history row; history rows before `keepSince` are deleted. One transaction.
   */
  recordPoll(gateway: string, now: number, health: HealthReport | undefined, keepSince: number): Promise<void>;
  /** Every gateway that ever polled, by id. */
  listFleet(): Promise<FleetGatewayRow[]>;
  getFleetGateway(gateway: string): Promise<FleetGatewayRow | undefined>;
  /** History rows of `gateway` at or after `since`, oldest first, at most `limit`. */
  history(gateway: string, since: number, limit: number): Promise<FleetHistoryRow[]>;
}
