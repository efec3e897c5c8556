import type { RegisterTable } from '../../protocols/modbus/types.ts';
import type { RecordKind, StoredRecord } from '../../protocols/records.ts';
import type { ActiveAlarm } from '../alarms/engine.ts';
import type { BrokerStats } from '../broker/broker.ts';
import type { BufferStats, CommittedListener } from '../buffer/buffer.ts';
import type { DeviceHealth } from '../modbus/health.ts';
import type { PagerStatus } from '../paging/pager.ts';
import type { SyncStatus } from '../sync/types.ts';

/** What the status server reads of the buffer (RecordBuffer). */
export interface StatusBuffer {
  stats(): BufferStats;
  latest(): StoredRecord[];
  readAfter(afterSeq: number, limit: number, kind?: RecordKind): StoredRecord[];
  on(event: 'committed', listener: CommittedListener): unknown;
  off(event: 'committed', listener: CommittedListener): unknown;
}

export type Transport = 'tcp' | 'rtu' | 'rtu+tcp' | 'mqtt';

/** A configured Modbus device as the page lists it. */
export interface ModbusDeviceInfo {
  readonly id: string;
  readonly profile: string;
  readonly transport: Exclude<Transport, 'mqtt'>;
  /** host:port, or the serial device path. */
  readonly address: string;
  readonly unitId: number;
  readonly intervalMs: number;
}

/** One transaction on a device's own link (ModbusLink.read), queued behind its polls. */
export type RegisterRead = (unit: number, table: RegisterTable, address: number, count: number) => Promise<number[]>;

/**
 * Everything the status page shows, handed in by the composition root (agent/main.ts) as plain
 * functions and narrow interfaces: the server imports no other part of the agent.
 */
export interface StatusSources {
  readonly gatewayId: string;
  readonly bootId: string;
  readonly buffer: StatusBuffer;
  /** The buffer's SQLite file; its file system's free space is the gateway's disk figure. */
  readonly bufferPath: string;
  /** Configured Modbus devices, in config order. */
  readonly devices: readonly ModbusDeviceInfo[];
  readonly health: (deviceId: string) => DeviceHealth | undefined;
  /** The read function of the link a device is polled over; undefined for a device not on Modbus. */
  readonly registers: (deviceId: string) => RegisterRead | undefined;
  readonly alarms: {
    active(): ActiveAlarm[];
    /** Undefined when there is no such active, unacknowledged alarm (AlarmEngine.acknowledge). */
    acknowledge(device: string, channel: string, rule: string): unknown;
  };
  readonly sync: () => SyncStatus | null;
  readonly broker: () => BrokerStats | null;
  /** Local paging's state; absent or null when paging is off. */
  readonly paging?: () => PagerStatus | null;
  readonly clockSynced: () => boolean;
  /** Prometheus exposition of the agent's registry (prom-client Registry.metrics()). */
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
}
