import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { directSerialBinding } from '../../platform/serial-binding.ts';
import { ATALAYA_MODBUS_CRC } from '../../protocols/modbus/errors.ts';
import type { FrameErrorEntry, UnitPdu } from '../../protocols/modbus/frame.ts';
import { encodeRtu, RtuRequestSplitter } from '../../protocols/modbus/frame.ts';
import { serialOpenFailed } from './errors.ts';
import type { UnitRouter } from './pdu-handler.ts';
import { Timers } from './timers.ts';
import { answerEndMs } from './wire-time.ts';

export interface SerialSettings {
  /** Serial device, e.g. /dev/ttyUSB0, or one end of a socat pseudo-terminal pair. */
  readonly path: string;
  /** Baud rate, e.g. 9600 or 19200 (the Modbus default, Serial Line v1.02 §2.5.1). */
  readonly baudRate: number;
  /** Serial Line v1.02 §2.5.1 requires even parity by default; `none` needs 2 stop bits to stay compliant. */
  readonly parity: 'none' | 'even' | 'odd';
  readonly dataBits: 7 | 8;
  readonly stopBits: 1 | 2;
}

/** The part of a serialport SerialPort the server uses, so tests and tools can inject another. */
export type SerialPortLike = Pick<SerialPort, 'isOpen' | 'open' | 'close' | 'write' | 'on' | 'off'>;
export type SerialPortFactory = (options: SerialSettings & { readonly autoOpen: false }) => SerialPortLike;

/** Reads and writes on the event loop rather than the thread pool: fewer wake-ups per frame (platform/serial-binding.ts). */
export const defaultSerialPortFactory: SerialPortFactory = (options) =>
  new SerialPort({ ...options, binding: directSerialBinding } as ConstructorParameters<typeof SerialPort>[0]);

export interface RtuServerOptions extends SerialSettings {
  /**
   * Deliver every answer when it would have finished crossing a real line at `baudRate`: request,
   * t3.5, answer (answerEndMs in wire-time.ts). The t3.5 the master must keep before its next
   * request is not added here: a master that skips it gains that time, as it would on a real
   * line, where it would also break the slaves' framing.
   */
  readonly wireTime: boolean;
  /**
   * Silence, ms, after which held bytes that do not form a frame are discarded and counted
   * (default 50). t3.5 is 4 ms at 9600 baud, but ptys and USB adapters deliver in bursts.
   */
  readonly frameGapMs?: number;
  readonly router: UnitRouter;
  readonly logger: Logger;
  readonly portFactory?: SerialPortFactory;
}

export interface RtuServerStats {
  /** Frames with a valid CRC, whatever their unit. */
  requests: number;
  answers: number;
  /** Frames for unit ids no simulated device has (a real bus stays silent). */
  otherUnits: number;
  broadcasts: number;
  /** Requests deliberately left unanswered (drop fault). */
  silent: number;
  /** Runs of discarded bytes that began as a complete frame with a wrong CRC. */
  crcErrors: number;
  /** Runs of discarded bytes that were no frame at all (noise, partial frames). */
  frameErrors: number;
  garbageBytes: number;
}

/**
 * Modbus RTU slave on a serial line (Modbus over Serial Line v1.02). Answers only the unit ids of
 * its devices, one request at a time as a half-duplex bus requires; unit 0 is a broadcast that
 * is executed and never answered (§2.1).
 */
export class ModbusRtuServer {
  readonly stats: RtuServerStats = { requests: 0, answers: 0, otherUnits: 0, broadcasts: 0, silent: 0, crcErrors: 0, frameErrors: 0, garbageBytes: 0 };
  private readonly options: RtuServerOptions;
  private readonly log: Logger;
  private readonly timers = new Timers();
  private readonly splitter = new RtuRequestSplitter();
  private port: SerialPortLike | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private queue = Promise.resolve();

  constructor(options: RtuServerOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'sim-modbus-rtu', path: options.path });
  }

  async start(): Promise<void> {
    if (this.port) return;
    this.timers.reset();
    const { path, baudRate, parity, dataBits, stopBits } = this.options;
    const factory = this.options.portFactory ?? defaultSerialPortFactory;
    let port: SerialPortLike;
    try {
      port = factory({ path, baudRate, parity, dataBits, stopBits, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw serialOpenFailed(path, err);
    }
    port.on('data', this.onDataListener);
    port.on('error', this.onErrorListener);
    port.on('close', this.onCloseListener);
    this.port = port;
    this.log.info({ baudRate, parity, dataBits, stopBits, wireTime: this.options.wireTime }, 'Modbus RTU simulator on the line');
  }

  async stop(): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.port = undefined;
    clearTimeout(this.gapTimer);
    this.timers.cancelAll();
    port.off('data', this.onDataListener);
    port.off('close', this.onCloseListener);
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    port.off('error', this.onErrorListener);
  }

  private readonly onDataListener = (chunk: Buffer): void => this.onData(chunk);
  private readonly onErrorListener = (err: Error): void => this.log.error({ err }, 'serial port error');
  private readonly onCloseListener = (): void => this.log.debug('serial port closed');

  private onData(chunk: Buffer): void {
    for (const entry of this.splitter.push(chunk)) this.onEntry(entry);
    clearTimeout(this.gapTimer);
    if (this.splitter.pending > 0) {
      this.gapTimer = setTimeout(() => {
        for (const entry of this.splitter.flush()) this.onEntry(entry);
      }, this.options.frameGapMs ?? 50);
    }
  }

  private onEntry(entry: UnitPdu | FrameErrorEntry): void {
    if ('error' in entry) {
      if (entry.error === ATALAYA_MODBUS_CRC) this.stats.crcErrors++;
      else this.stats.frameErrors++;
      this.stats.garbageBytes += entry.bytes.length;
      if (this.log.isLevelEnabled('debug')) this.log.debug({ code: entry.error, hex: Buffer.from(entry.bytes).toString('hex') }, 'discarded bytes');
      return;
    }
    const arrived = performance.now();
    this.queue = this.queue.then(() => this.serve(entry, arrived)).catch((err: unknown) => this.log.error({ err }, 'cannot answer request'));
  }

  /** `arrived`: performance.now() when the request's last byte was read. */
  private async serve(frame: UnitPdu, arrived: number): Promise<void> {
    this.stats.requests++;
    const router = this.options.router;
    if (frame.unit === 0) {
      this.stats.broadcasts++;
      router.broadcast(frame.pdu);
      return;
    }
    const answer = router.route(frame.unit, frame.pdu);
    if (answer === undefined) {
      this.stats.otherUnits++;
      return;
    }
    if (answer.kind === 'silent') {
      this.stats.silent++;
      return;
    }
    const adu = encodeRtu(frame.unit, answer.pdu);
    if (answer.corruptCrc) {
      adu[adu.length - 1]! ^= 0xff;
      adu[adu.length - 2]! ^= 0xff;
    }
    const wire = this.options.wireTime ? answerEndMs(frame.pdu.length + 3, adu.length, this.options.baudRate) : 0;
    // The answer leaves when the request and answer would have crossed the wire, counted from the
    // request's arrival, so time spent here is not added on top.
    if (!(await (wire > 0 ? this.timers.waitUntil(arrived + answer.delayMs + wire) : this.timers.wait(answer.delayMs)))) return;
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve, reject) => port.write(adu, (err) => (err ? reject(err) : resolve())));
    this.stats.answers++;
  }
}
