import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { PAGING_MODEM_ERROR, PAGING_MODEM_TIMEOUT, PAGING_PORT_FAILED, PAGING_SEND_REFUSED, PagingError } from './errors.ts';

/** The part of a serialport SerialPort used here, so a test can inject another. */
export type AtSerialPort = Pick<SerialPort, 'isOpen' | 'open' | 'close' | 'write' | 'on' | 'off'>;
export type AtPortFactory = (options: { path: string; baudRate: number; autoOpen: false }) => AtSerialPort;

export interface AtPortOptions {
  readonly path: string;
  readonly baudRate: number;
  /** Wait after a failed open before trying again, ms. */
  readonly reopenMs: number;
  readonly now: () => number;
  readonly logger: Logger;
  readonly portFactory?: AtPortFactory;
}

const CTRL_Z = '\x1a';
const ESC = '\x1b';

interface Pending {
  readonly command: string;
  readonly lines: string[];
  readonly prompt: boolean;
  resolve(lines: string[]): void;
  reject(err: PagingError): void;
  timer: NodeJS.Timeout;
}

/**
 * One AT command at a time on a serial port (V.250 §5: a command line ends in CR; the modem ends
 * its answer with a final result code: OK, ERROR, +CME ERROR: n, or +CMS ERROR: n for SMS
 * commands, 3GPP TS 27.005 §3.2.5). Callers serialize (modem.ts). The port is opened on the first
 * command and again on the first command after it was lost (an unplugged USB modem), at most once
 * per reopenMs.
 */
export class AtPort {
  private port: AtSerialPort | undefined;
  private rx = '';
  private pending: Pending | undefined;
  private lastOpenFailureAt: number | undefined;
  private closed = false;
  private readonly log: Logger;
  /** Bumped on every open: the modem's settings (echo, text mode) are lost with the port. */
  opens = 0;

  constructor(private readonly o: AtPortOptions) {
    this.log = o.logger.child({ component: 'paging-modem', path: o.path });
  }

  get isOpen(): boolean {
    return this.port !== undefined;
  }

  async open(): Promise<void> {
    if (this.closed) throw new PagingError(PAGING_PORT_FAILED, `${this.o.path}: closed`);
    if (this.port !== undefined) return;
    const now = this.o.now();
    if (this.lastOpenFailureAt !== undefined && now - this.lastOpenFailureAt < this.o.reopenMs) {
      throw new PagingError(PAGING_PORT_FAILED, `${this.o.path}: not reopened yet (last open failed)`);
    }
    const factory = this.o.portFactory ?? ((opts) => new SerialPort(opts));
    try {
      const port = factory({ path: this.o.path, baudRate: this.o.baudRate, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      port.on('data', this.onData);
      port.on('close', this.onClose);
      port.on('error', this.onError);
      this.port = port;
      this.rx = '';
      this.opens++;
      this.lastOpenFailureAt = undefined;
      this.log.info({ opens: this.opens }, 'modem port open');
    } catch (err) {
      this.lastOpenFailureAt = now;
      throw new PagingError(PAGING_PORT_FAILED, `${this.o.path}: cannot open`, { cause: err });
    }
  }

  /** Sends `AT…` and resolves with the information lines before OK; rejects with a PagingError. */
  command(command: string, timeoutMs: number, options: { prompt?: boolean; secret?: boolean } = {}): Promise<string[]> {
    return this.exchange(`${command}\r`, options.secret === true ? 'AT+CPIN=…' : command, timeoutMs, options.prompt === true);
  }

  /** After the `> ` prompt: the text and Ctrl-Z (TS 27.005 §3.5.1); resolves with the +CMGS line. */
  submit(text: string, timeoutMs: number): Promise<string[]> {
    return this.exchange(`${text}${CTRL_Z}`, 'AT+CMGS text', timeoutMs, false);
  }

  async close(): Promise<void> {
    this.closed = true;
    const port = this.port;
    this.port = undefined;
    this.fail(new PagingError(PAGING_PORT_FAILED, `${this.o.path}: closed`));
    if (port === undefined) return;
    port.off('data', this.onData);
    port.off('close', this.onClose);
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    port.off('error', this.onError);
  }

  private exchange(bytes: string, command: string, timeoutMs: number, prompt: boolean): Promise<string[]> {
    const port = this.port;
    if (port === undefined) return Promise.reject(new PagingError(PAGING_PORT_FAILED, `${this.o.path}: not open`));
    if (this.pending !== undefined) return Promise.reject(new PagingError(PAGING_MODEM_ERROR, 'one command at a time', { details: { command } }));
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        // Whatever the modem was doing, ESC leaves a half-typed message unsent (TS 27.005 §3.5.1).
        if (prompt || command === 'AT+CMGS text') this.port?.write(ESC);
        this.rx = '';
        reject(new PagingError(PAGING_MODEM_TIMEOUT, `modem did not answer ${command} within ${timeoutMs} ms`, { details: { command, timeoutMs } }));
      }, timeoutMs);
      this.pending = { command, lines: [], prompt, resolve, reject, timer };
      port.write(bytes, 'latin1');
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.rx += chunk.toString('latin1');
    if (this.rx.length > 8192) this.rx = this.rx.slice(-4096);
    const p = this.pending;
    if (p === undefined) {
      this.rx = '';
      return;
    }
    for (let i = this.rx.search(/[\r\n]/); i >= 0; i = this.rx.search(/[\r\n]/)) {
      const line = this.rx.slice(0, i).trim();
      this.rx = this.rx.slice(i + 1);
      // Blank lines frame results; a line starting with AT is the modem echoing the command (ATE1).
      if (line === '' || /^AT/i.test(line)) continue;
      const outcome = finalResult(line, p.command);
      if (outcome === 'information') {
        p.lines.push(line);
        continue;
      }
      this.settle(p, outcome === 'ok' ? undefined : outcome);
      return;
    }
    if (p.prompt && this.rx.startsWith('>')) {
      this.rx = '';
      this.settle(p, undefined);
    }
  };

  private settle(p: Pending, err: PagingError | undefined): void {
    clearTimeout(p.timer);
    this.pending = undefined;
    if (err === undefined) p.resolve(p.lines);
    else p.reject(err);
  }

  private fail(err: PagingError): void {
    const p = this.pending;
    if (p !== undefined) this.settle(p, err);
  }

  private readonly onClose = (): void => {
    const port = this.port;
    if (port === undefined) return;
    this.log.warn('modem port lost; reopening on the next message');
    this.port = undefined;
    port.off('data', this.onData);
    port.off('close', this.onClose);
    // The error listener stays: a lost port may still report errors.
    this.fail(new PagingError(PAGING_PORT_FAILED, `${this.o.path}: port lost`));
  };

  private readonly onError = (err: Error): void => {
    this.log.warn({ err }, 'modem port error');
  };
}

/** A line of an answer: the final result codes OK, ERROR, +CME ERROR (TS 27.007 §9.2), +CMS ERROR (TS 27.005 §3.2.5), or information. */
function finalResult(line: string, command: string): 'ok' | 'information' | PagingError {
  if (line === 'OK') return 'ok';
  if (line === 'ERROR' || line.startsWith('+CME ERROR')) {
    return new PagingError(PAGING_MODEM_ERROR, `modem answered ${line} to ${command}`, { details: { command, answer: line } });
  }
  const cms = /^\+CMS ERROR:\s*(\d+)/.exec(line);
  if (cms === null) return 'information';
  const code = Number(cms[1]);
  return new PagingError(PAGING_SEND_REFUSED, `+CMS ERROR: ${code}`, { details: { command, cms: code } });
}
