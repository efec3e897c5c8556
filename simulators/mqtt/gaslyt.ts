import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { gasDetector } from '../../protocols/profiles/gas-detector.ts';
import { GasDetectorModel } from '../modbus/gas-detector.ts';
import type { ScenarioName } from '../modbus/scenarios.ts';

export interface GaslytOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 or ws://127.0.0.1:8083 */
  readonly url: string;
  readonly deviceId: string;
  readonly username: string;
  readonly password: string;
  readonly scenario: ScenarioName;
  /** Telemetry period, ms (100..3 600 000). */
  readonly intervalMs: number;
  /** Topic prefix of the gateway's ingest tree (agent/broker/README.md). */
  readonly topicPrefix: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface GaslytStats {
  /** Messages handed to the client. */
  published: number;
  /** QoS 1 messages the broker acknowledged (PUBACK). */
  acknowledged: number;
  failed: number;
}

/** Device alarm relays → the alarm messages a GASLYT-style detector sends on its own. */
const RELAYS = [
  { bit: 'alarm_1', level: 'warning' },
  { bit: 'alarm_2', level: 'alarm' },
] as const;

/**
 * A GASLYT-style gas detector that speaks MQTT itself (the devices of the system Atalaya
 * replaces): every interval it publishes its four gas channels as one QoS 1 telemetry message with
 * an increasing sequence number, and an alarm message whenever one of its relays changes state.
 * The gas values come from the same model and scenarios as the Modbus simulator.
 */
export class GaslytDevice {
  readonly stats: GaslytStats = { published: 0, acknowledged: 0, failed: 0 };
  private readonly model: GasDetectorModel;
  private readonly log: Logger;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private relays: Record<string, number> = { alarm_1: 0, alarm_2: 0 };

  constructor(private readonly o: GaslytOptions) {
    this.model = new GasDetectorModel({ unitId: 1, scenario: o.scenario });
    this.log = o.logger.child({ component: 'sim-gaslyt', device: o.deviceId });
  }

  async start(): Promise<void> {
    if (this.client !== undefined) return;
    this.client = await mqtt.connectAsync(this.o.url, {
      clientId: this.o.deviceId,
      username: this.o.username,
      password: this.o.password,
      clean: false,
      reconnectPeriod: 1000,
    });
    this.client.on('error', (err) => this.log.warn({ code: (err as { code?: unknown }).code }, 'mqtt error'));
    this.model.advance(this.o.clock.monotonic());
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.endAsync();
  }

  /** The detector's current true values, to compare with what the gateway stored. */
  values(): Readonly<Record<string, number>> {
    return this.model.values();
  }

  private tick(): void {
    this.model.advance(this.o.clock.monotonic());
    const v = this.model.values();
    const ts = this.o.clock.now();
    const base = `${this.o.topicPrefix}/in/${this.o.deviceId}`;
    const telemetry = gasDetector.channels.map((c) => ({ channel: c.key, value: v[c.key] ?? 0, unit: c.unit, ts, seq: ++this.seq }));
    this.send(`${base}/telemetry`, telemetry);
    for (const r of RELAYS) {
      const now = v[r.bit] ?? 0;
      if (now === this.relays[r.bit]) continue;
      this.relays[r.bit] = now;
      this.send(`${base}/alarm`, {
        channel: 'ch4',
        level: r.level,
        state: now === 1 ? 'raised' : 'cleared',
        value: v['ch4'] ?? 0,
        unit: '%LEL',
        ts,
        seq: ++this.seq,
      });
    }
  }

  private send(topic: string, payload: unknown): void {
    const client = this.client;
    if (client === undefined) return;
    this.stats.published++;
    client.publishAsync(topic, JSON.stringify(payload), { qos: 1 }).then(
      () => void this.stats.acknowledged++,
      (err: unknown) => {
        this.stats.failed++;
        this.log.warn({ code: (err as { code?: unknown }).code, topic }, 'publish not acknowledged');
      },
    );
  }
}
