import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { GasDetectorModel } from '../modbus/gas-detector.ts';
import type { ScenarioName } from '../modbus/scenarios.ts';
import type { MqttDeviceStats } from './sparkplug-node.ts';

export interface GaslytJsonOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 */
  readonly url: string;
  /** Serial number: MQTT user name, client id and topic level. */
  readonly serial: string;
  readonly password: string;
  readonly scenario: ScenarioName;
  /** Report period, ms (100..3 600 000). */
  readonly intervalMs: number;
  /** IANA zone of the device's clock: its `ts` is local time without an offset. */
  readonly timeZone: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Gas cells in the payload: its own field names; units fixed by the vendor's manual, not sent. */
const CELLS = [
  { field: 'CH4', key: 'ch4', fault: 'fault_ch4', digits: 1 },
  { field: 'H2S', key: 'h2s', fault: 'fault_h2s', digits: 1 },
  { field: 'CO', key: 'co', fault: 'fault_co', digits: 0 },
  { field: 'O2', key: 'o2', fault: 'fault_o2', digits: 1 },
] as const;

/** Battery: 4.15 V full, about 0.02 V lost per hour of reporting, never below 3.3 V. */
const BATTERY_FULL_V = 4.15;
const BATTERY_V_PER_HOUR = 0.02;

/**
 * A GASLYT-style gas detector as they are in the field (issue 17 §6): it publishes its own JSON
 * on its own topic, `gaslyt/<serial>/data`, QoS 1, every interval:
 * `{ "sn": "GL-001", "ts": "2026-11-23 09:00:05", "CH4": 12.5, "H2S": 1.2, "CO": 3, "O2": 20.8, "bat": 3.91, "rssi": -71 }`
 * — `ts` on the device's local clock without an offset, a faulted cell as null, no units (CH4 %LEL,
 * H2S and CO ppm, O2 %vol, bat V, rssi dBm). The agent reads it through an mqtt.mappings entry
 * (deploy/examples/agent.yaml). Gas values follow the Modbus gas detector's model and scenarios
 * (gas-leak: CH4 ramps to 30 %LEL and back; sensor-fault: the CH4 cell fails for 40 s).
 */
export class GaslytJsonDevice {
  readonly stats: MqttDeviceStats = { published: 0, acknowledged: 0, failed: 0 };
  private readonly model: GasDetectorModel;
  private readonly log: Logger;
  private readonly format: Intl.DateTimeFormat;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(private readonly o: GaslytJsonOptions) {
    this.model = new GasDetectorModel({ unitId: 1, scenario: o.scenario });
    this.log = o.logger.child({ component: 'sim-gaslyt-json', serial: o.serial });
    // sv-SE formats as 2026-11-23 09:00:05.
    this.format = new Intl.DateTimeFormat('sv-SE', { timeZone: o.timeZone, dateStyle: 'short', timeStyle: 'medium' });
  }

  get topic(): string {
    return `gaslyt/${this.o.serial}/data`;
  }

  async start(): Promise<void> {
    if (this.client !== undefined) return;
    this.client = await mqtt.connectAsync(this.o.url, {
      clientId: this.o.serial,
      username: this.o.serial,
      password: this.o.password,
      clean: false,
      reconnectPeriod: 1000,
    });
    this.client.on('error', (err) => this.log.warn({ code: (err as { code?: unknown }).code }, 'mqtt error'));
    this.startedAt = this.o.clock.monotonic();
    this.model.advance(this.startedAt);
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

  /** The next payload, as the device would send it now. */
  payload(): Record<string, unknown> {
    const mono = this.o.clock.monotonic();
    this.model.advance(mono);
    const v = this.model.values();
    const out: Record<string, unknown> = { sn: this.o.serial, ts: this.format.format(this.o.clock.now()) };
    for (const c of CELLS) out[c.field] = v[c.fault] === 1 ? null : round(v[c.key] ?? 0, c.digits);
    const hours = (mono - this.startedAt) / 3_600_000;
    out['bat'] = round(Math.max(3.3, BATTERY_FULL_V - hours * BATTERY_V_PER_HOUR), 2);
    out['rssi'] = -70 - Math.round(3 * Math.sin(mono / 10_000));
    return out;
  }

  private tick(): void {
    const client = this.client;
    if (client === undefined) return;
    this.stats.published++;
    client.publishAsync(this.topic, JSON.stringify(this.payload()), { qos: 1 }).then(
      () => void this.stats.acknowledged++,
      (err: unknown) => {
        this.stats.failed++;
        this.log.warn({ code: (err as { code?: unknown }).code }, 'publish not acknowledged');
      },
    );
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
