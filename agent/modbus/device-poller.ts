import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { extractFields, type ReadRequest } from '../../protocols/modbus/planner.ts';
import type { RegisterTable } from '../../protocols/modbus/types.ts';
import type { Profile } from '../../protocols/profiles/index.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { deviceAnswered, fromClientError, isRetryable, type ModbusError } from './errors.ts';
import { type BackoffPolicy, DeviceHealth } from './health.ts';
import { type FieldOutcome, toRecords } from './readings.ts';

export interface RegisterReader {
  read(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]>;
}

export interface PolledDevice {
  readonly id: string;
  readonly unitId: number;
  readonly intervalMs: number;
  readonly retries: number;
  readonly params: Readonly<Record<string, number>>;
  readonly dgaChannels: readonly string[];
}

export interface DevicePollerOptions {
  readonly device: PolledDevice;
  readonly profile: Profile;
  readonly plan: readonly ReadRequest[];
  readonly reader: RegisterReader;
  /** Where records go (the buffer's append). */
  readonly sink: (records: NewRecord[]) => Promise<unknown>;
  readonly backoff: BackoffPolicy;
  readonly clock: Clock;
  readonly bootId: string;
  /** RECORD_FLAGS to stamp on the records of this poll (e.g. clock not synchronized). */
  readonly flags: () => number;
  readonly logger: Logger;
  /**
   * Told the outcome of each poll: ok when every request returned data (an exception answer is
   * not ok, though the device is alive), the poll's duration in ms (retries and timeouts
   * included), and the code of the last failure.
   */
  readonly onPoll?: (device: string, ok: boolean, latencyMs: number, code?: string) => void;
}

/** Polls one device on its interval; backs it off while it does not answer. */
export class DevicePoller {
  readonly health: DeviceHealth;
  private readonly log: Logger;
  private readonly dga: ReadonlySet<string>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private nextDue = 0;
  private backoffUntil = 0;
  private stopped = true;

  constructor(private readonly o: DevicePollerOptions) {
    this.health = new DeviceHealth(o.backoff);
    this.log = o.logger.child({ component: 'poller', device: o.device.id });
    this.dga = new Set(o.device.dgaChannels);
  }

  get id(): string {
    return this.o.device.id;
  }

  /** `offsetMs` staggers devices on a line so they do not all fire at once. */
  start(offsetMs = 0): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.nextDue = this.o.clock.monotonic() + offsetMs;
    this.schedule(offsetMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One poll of every planned request; records for every channel, whatever the outcome. */
  async pollOnce(): Promise<NewRecord[]> {
    const { device, plan, clock } = this.o;
    const outcomes = new Map<string, FieldOutcome>();
    const started = clock.monotonic();
    let answered = false;
    let lastError: ModbusError | undefined;
    for (const req of plan) {
      const result = await this.request(req);
      if (Array.isArray(result)) {
        answered = true;
        const values = extractFields(req, result);
        req.fields.forEach((f, i) => {
          outcomes.set(f.key, { ok: true, value: values[i]! });
        });
      } else {
        if (deviceAnswered(result)) answered = true;
        lastError = result;
        for (const f of req.fields) outcomes.set(f.key, { ok: false, error: result });
      }
    }
    const now = clock.monotonic();
    if (answered) this.health.answered(now - started, clock.now());
    if (lastError !== undefined) this.health.lastErrorCode = lastError.code;
    const records = toRecords(this.o.profile, outcomes, {
      device: device.id,
      ts: clock.now(),
      mono: now,
      bootId: this.o.bootId,
      flags: this.o.flags(),
      params: device.params,
      dgaChannels: this.dga,
    });
    if (!answered && lastError !== undefined) this.afterFailure(lastError);
    this.o.onPoll?.(device.id, lastError === undefined, now - started, lastError?.code);
    return records;
  }

  private async request(req: ReadRequest): Promise<number[] | ModbusError> {
    // A backed-off device gets one attempt per probe: retries would hold the line for nothing.
    const attempts = this.health.state === 'backoff' ? 1 : 1 + this.o.device.retries;
    let error: ModbusError | undefined;
    for (let i = 0; i < attempts; i++) {
      try {
        return await this.o.reader.read(this.o.device.unitId, req.table, req.address, req.count);
      } catch (err) {
        error = fromClientError(err, this.o.device.id);
        if (!isRetryable(error)) break;
      }
    }
    return error!;
  }

  private afterFailure(err: ModbusError): void {
    const wait = this.health.failed(err.code);
    if (wait !== null) {
      this.backoffUntil = this.o.clock.monotonic() + wait;
      this.log.warn({ code: err.code, retryInMs: wait, failures: this.health.consecutiveFailures }, 'device not answering; backing off');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.running = this.tick();
      },
      Math.max(0, delayMs),
    );
  }

  private async tick(): Promise<void> {
    const wasBackedOff = this.health.state === 'backoff';
    try {
      const records = await this.pollOnce();
      this.o.sink(records).catch((err: unknown) => this.log.error({ err }, 'records not stored'));
    } catch (err) {
      this.log.error({ err }, 'poll failed');
    }
    if (wasBackedOff && this.health.state === 'ok') this.log.info('device answers again; normal polling');
    const now = this.o.clock.monotonic();
    if (this.health.state === 'backoff') {
      this.nextDue = this.backoffUntil;
    } else {
      this.nextDue += this.o.device.intervalMs;
      // Fell behind (slow line, long timeouts): skip the missed slots instead of bursting.
      if (this.nextDue < now) this.nextDue = now;
    }
    this.schedule(this.nextDue - now);
  }
}
