import type { Logger } from 'pino';
import { createDirectSerialBinding, type SerialBinding, type SerialHooks } from '../../platform/serial-binding.ts';
import type { Clock } from '../../protocols/clock.ts';
import { bitsPerChar, t35Ms } from '../../protocols/modbus/timing.ts';
import type { RegisterTable } from '../../protocols/modbus/types.ts';
import { createModbusClient, type ModbusClient } from './client.ts';
import { fromClientError, MODBUS_DISCONNECTED, MODBUS_STOPPED, ModbusError } from './errors.ts';
import { LineSilence } from './line-silence.ts';

export type LinkTarget =
  | { kind: 'serial'; path: string; baudRate: number; parity: 'none' | 'even' | 'odd'; dataBits: 7 | 8; stopBits: 1 | 2 }
  | { kind: 'tcp'; host: string; port: number; rtuOverTcp: boolean };

export interface LinkOptions {
  readonly id: string;
  readonly target: LinkTarget;
  /** Answer timeout per transaction, ms. */
  readonly timeoutMs: number;
  /**
   * Extra silence kept between the end of one transaction and the next request, ms, on top of the
   * t3.5 a serial line always keeps (line-silence.ts).
   */
  readonly interFrameDelayMs: number;
  /** Reconnect back-off after a failed open: first delay and cap, ms. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Builds the modbus-serial client; injected so tests can substitute the transport. */
  readonly createClient?: () => ModbusClient;
  /**
   * Builds the serialport binding of a serial target from the link's hooks (the line's silence is
   * timed from its reads); default: reads and writes on the event loop (platform/serial-binding.ts).
   */
  readonly serialBinding?: (hooks: SerialHooks) => SerialBinding;
}

export interface LinkStats {
  transactions: number;
  failures: number;
  /** Failures by error code: timeouts, bad frames (CRC, garbage on the line), exceptions, … */
  errors: Record<string, number>;
  opens: number;
  connected: boolean;
}

/**
 * One physical line or TCP connection. Transactions are queued so exactly one is in flight at a
 * time (docs/modbus.md#one-transaction-per-line). A lost port or socket is reopened on the
 * next transaction after a back-off, so an unplugged adapter or a dropped TCP link recovers
 * without a restart.
 */
export class ModbusLink {
  readonly id: string;
  readonly stats: LinkStats = { transactions: 0, failures: 0, errors: {}, opens: 0, connected: false };
  private readonly log: Logger;
  private client: ModbusClient | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private nextOpenAt = 0;
  private openDelay: number;
  private stopped = false;
  private readonly silence: LineSilence;
  private readonly binding: SerialBinding;

  constructor(private readonly options: LinkOptions) {
    this.id = options.id;
    const t = options.target;
    // §2.5.1.1: a master must not start a frame before t3.5 of silence. Behind a TCP gateway the
    // serial timing is the gateway's; only the configured extra delay applies there.
    const t35 = t.kind === 'serial' ? t35Ms(t.baudRate, bitsPerChar(t.dataBits, t.parity, t.stopBits)) : 0;
    this.silence = new LineSilence(t35 + options.interFrameDelayMs);
    this.binding = (options.serialBinding ?? createDirectSerialBinding)({ onRead: () => this.silence.heard() });
    this.openDelay = options.reconnectMinMs;
    this.log = options.logger.child({ component: 'modbus-link', link: options.id });
  }

  start(): void {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.tail.catch(() => undefined);
    await this.closeClient();
  }

  /** Read `count` registers (FC03/04) or bits as 0/1 (FC01/02) from `unit`. */
  read(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]> {
    const run = this.tail.then(() => this.transact(unit, table, address, count));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async transact(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]> {
    if (this.stopped) throw new ModbusError(MODBUS_STOPPED, `${this.id}: link stopped`);
    const client = await this.ensureOpen();
    this.stats.transactions++;
    client.setID(unit);
    if (this.silence.silenceMs > 0) await this.silence.wait();
    const startedAt = this.silence.mark();
    try {
      const data = await call(client, table, address, count);
      return data;
    } catch (err) {
      this.stats.failures++;
      const e = fromClientError(err, `${this.id} unit ${unit} ${table} ${address}+${count}`);
      this.stats.errors[e.code] = (this.stats.errors[e.code] ?? 0) + 1;
      if (e.code === MODBUS_DISCONNECTED) await this.closeClient();
      throw e;
    } finally {
      this.silence.ended(startedAt);
    }
  }

  private async ensureOpen(): Promise<ModbusClient> {
    if (this.client?.isOpen === true) return this.client;
    await this.closeClient();
    const now = this.options.clock.monotonic();
    if (now < this.nextOpenAt) throw new ModbusError(MODBUS_DISCONNECTED, `${this.id}: not connected, next attempt in ${this.nextOpenAt - now} ms`);
    const client = (this.options.createClient ?? createModbusClient)();
    client.setTimeout(this.options.timeoutMs);
    try {
      await withTimeout(open(client, this.options.target, this.binding), Math.max(this.options.timeoutMs, 2000));
    } catch (err) {
      this.nextOpenAt = now + this.openDelay;
      this.log.warn({ err: summary(err), retryInMs: this.openDelay }, 'cannot open link');
      this.openDelay = Math.min(this.openDelay * 2, this.options.reconnectMaxMs);
      destroy(client);
      throw new ModbusError(MODBUS_DISCONNECTED, `${this.id}: cannot open`, { cause: err });
    }
    client.on('close', () => {
      if (this.client === client) {
        this.stats.connected = false;
        this.log.warn('link closed; reopening on the next poll');
      }
    });
    client.on('error', (err: unknown) => this.log.warn({ err: summary(err) }, 'link error'));
    this.client = client;
    this.stats.opens++;
    this.stats.connected = true;
    this.openDelay = this.options.reconnectMinMs;
    this.log.info({ opens: this.stats.opens }, 'link open');
    return client;
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.stats.connected = false;
    if (client === undefined) return;
    client.removeAllListeners('close');
    await new Promise<void>((resolve) => {
      try {
        if (client.isOpen) client.close(() => resolve());
        else resolve();
      } catch {
        resolve();
      }
    });
    destroy(client);
  }
}

function open(client: ModbusClient, target: LinkTarget, binding: SerialBinding): Promise<void> {
  switch (target.kind) {
    case 'serial': {
      // `binding` is passed through to serialport's constructor; modbus-serial's typings omit it.
      const options = { baudRate: target.baudRate, parity: target.parity, dataBits: target.dataBits, stopBits: target.stopBits, binding };
      return client.connectRTUBuffered(target.path, options as Parameters<ModbusClient['connectRTUBuffered']>[1]);
    }
    case 'tcp':
      return target.rtuOverTcp ? client.connectTcpRTUBuffered(target.host, { port: target.port }) : client.connectTCP(target.host, { port: target.port });
  }
}

async function call(client: ModbusClient, table: RegisterTable, address: number, count: number): Promise<number[]> {
  switch (table) {
    case 'holding':
      return (await client.readHoldingRegisters(address, count)).data;
    case 'input':
      return (await client.readInputRegisters(address, count)).data;
    case 'coil':
      return bits((await client.readCoils(address, count)).data, count);
    case 'discrete':
      return bits((await client.readDiscreteInputs(address, count)).data, count);
  }
}

function bits(data: readonly boolean[], count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = data[i] === true ? 1 : 0;
  return out;
}

function destroy(client: ModbusClient): void {
  client.removeAllListeners();
  client.on('error', () => undefined);
  try {
    // An open that timed out may still complete: destroy() closes whatever it left behind.
    client.destroy(() => undefined);
  } catch {
    // never opened: nothing to release
  }
}

function summary(err: unknown): { code?: unknown; message?: unknown } {
  const e = (err ?? {}) as { code?: unknown; errno?: unknown; message?: unknown };
  return { code: e.code ?? e.errno, message: e.message };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('open timed out'), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
