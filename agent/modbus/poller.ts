import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { planReads } from '../../protocols/modbus/planner.ts';
import type { Profile } from '../../protocols/profiles/index.ts';
import type { NewRecord } from '../../protocols/records.ts';
import type { AgentConfig, DeviceConfig } from '../config/schema.ts';
import type { ModbusClient } from './client.ts';
import { DevicePoller, type DevicePollerOptions } from './device-poller.ts';
import { type LinkTarget, ModbusLink } from './link.ts';

export interface PollerOptions {
  readonly config: AgentConfig;
  readonly profiles: ReadonlyMap<string, Profile>;
  readonly sink: (records: NewRecord[]) => Promise<unknown>;
  readonly clock: Clock;
  readonly bootId: string;
  readonly flags?: () => number;
  readonly logger: Logger;
  readonly createClient?: () => ModbusClient;
  /** Told the outcome of every poll of every device (DevicePollerOptions.onPoll); metrics. */
  readonly onPoll?: DevicePollerOptions['onPoll'];
}

/**
 * All lines and devices of a gateway. Each serial line and each TCP endpoint is one link with one
 * transaction in flight; links run in parallel, so TCP devices poll concurrently and a slow line
 * never holds up another.
 */
export class Poller {
  readonly links = new Map<string, ModbusLink>();
  readonly devices: DevicePoller[] = [];
  private readonly linkByDevice = new Map<string, ModbusLink>();

  constructor(private readonly o: PollerOptions) {
    const { config } = o;
    const serial = new Map(config.serial.map((s) => [s.id, s]));
    for (const d of config.devices) {
      const key = linkKey(d);
      let link = this.links.get(key);
      if (link === undefined) {
        const bus = d.serial !== undefined ? serial.get(d.serial) : undefined;
        const target: LinkTarget =
          bus !== undefined
            ? { kind: 'serial', path: bus.path, baudRate: bus.baudRate, parity: bus.parity, dataBits: bus.dataBits, stopBits: bus.stopBits }
            : { kind: 'tcp', host: d.tcp!.host, port: d.tcp!.port, rtuOverTcp: d.tcp!.rtuOverTcp };
        link = new ModbusLink({
          id: key,
          target,
          timeoutMs: bus?.timeoutMs ?? d.tcp!.timeoutMs,
          interFrameDelayMs: bus?.interFrameDelayMs ?? 0,
          reconnectMinMs: 1000,
          reconnectMaxMs: 30_000,
          clock: o.clock,
          logger: o.logger,
          ...(o.createClient !== undefined ? { createClient: o.createClient } : {}),
        });
        this.links.set(key, link);
      }
      this.linkByDevice.set(d.id, link);
      const profile = o.profiles.get(d.profile)!;
      this.devices.push(
        new DevicePoller({
          device: d,
          profile,
          plan: planReads([...profile.channels, ...profile.status], { maxGap: d.maxGap, perField: d.perFieldRequests }),
          reader: link,
          sink: o.sink,
          backoff: config.backoff,
          clock: o.clock,
          bootId: o.bootId,
          flags: o.flags ?? (() => 0),
          logger: o.logger,
          onPoll: o.onPoll,
        }),
      );
    }
  }

  /** The link a device is polled over (the status page's register inspector queues behind the polls). */
  linkOf(deviceId: string): ModbusLink | undefined {
    return this.linkByDevice.get(deviceId);
  }

  start(): void {
    for (const l of this.links.values()) l.start();
    // Stagger the devices sharing a link across their interval.
    const perLink = new Map<string, number>();
    this.o.config.devices.forEach((d, i) => {
      const key = linkKey(d);
      const n = perLink.get(key) ?? 0;
      perLink.set(key, n + 1);
      this.devices[i]!.start((n * 37) % Math.max(1, d.intervalMs));
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.stop()));
    await Promise.all([...this.links.values()].map((l) => l.stop()));
  }

  /** Poll every device once (the technician's `--once`). */
  async pollOnce(): Promise<Map<string, NewRecord[]>> {
    for (const l of this.links.values()) l.start();
    const results = await Promise.all(this.devices.map(async (d) => [d.id, await d.pollOnce()] as const));
    return new Map(results);
  }
}

/**
 * Devices on one serial line share it. RTU over TCP is a serial line behind a converter, so its
 * devices share one socket too. Plain Modbus TCP devices each get their own connection (servers
 * accept several), so they poll concurrently even behind one address.
 */
function linkKey(d: DeviceConfig): string {
  if (d.serial !== undefined) return d.serial;
  const t = d.tcp!;
  return t.rtuOverTcp ? `rtu+tcp://${t.host}:${t.port}` : `tcp://${t.host}:${t.port}/${d.unitId}`;
}
