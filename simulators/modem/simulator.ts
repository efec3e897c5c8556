import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { AtEngine, type ModemFaults, type SentSms } from './at-engine.ts';

export interface ModemSimulatorOptions {
  /** Serial device the modem answers on (one end of a socat pty pair, or a real port). */
  readonly path: string;
  /** Baud rate, 1200..921600 (a pty ignores it). Default 115200. */
  readonly baudRate?: number;
  readonly faults?: ModemFaults;
  /** Where the messages are served: GET /messages, PUT /faults. Port 0 = any free port. Omit for none. */
  readonly http?: { readonly host: string; readonly port: number };
  /** Appends one JSON line per SMS "sent" here when given. */
  readonly messagesFile?: string;
  /** Called for every SMS "sent" (the CLI prints a line). */
  readonly onSms?: (sms: SentSms) => void;
  readonly logger: Logger;
}

/**
 * A cellular modem double on a serial line: the AT engine (at-engine.ts) behind a serialport,
 * every SMS it "sends" kept, logged, appended to a JSON-lines file and served over HTTP, and its
 * faults changeable while it runs (PUT /faults with a ModemFaults object replaces them).
 */
export class ModemSimulator {
  readonly messages: SentSms[] = [];
  private port: SerialPort | undefined;
  private server: http.Server | undefined;
  private readonly engine: AtEngine;
  private readonly log: Logger;

  constructor(private readonly o: ModemSimulatorOptions) {
    this.log = o.logger.child({ component: 'sim-modem', path: o.path });
    this.engine = new AtEngine({
      write: (bytes) => this.port?.write(bytes),
      onSms: (sms) => this.onSms(sms),
      faults: o.faults,
    });
  }

  get faults(): ModemFaults {
    return this.engine.faults;
  }

  set faults(faults: ModemFaults) {
    this.engine.faults = { ...faults };
    this.log.info({ faults }, 'modem faults set');
  }

  /** Where GET /messages answers, once started with `http`. */
  get httpPort(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async start(): Promise<void> {
    if (this.port !== undefined) return;
    const port = new SerialPort({ path: this.o.path, baudRate: this.o.baudRate ?? 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => this.engine.feed(chunk));
    port.on('error', (err) => this.log.error({ err }, 'serial port error'));
    this.port = port;
    if (this.o.http !== undefined) {
      const server = http.createServer((req, res) => this.serve(req, res));
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.o.http!.port, this.o.http!.host, () => resolve());
      });
    }
    this.log.info({ faults: this.engine.faults, httpPort: this.httpPort }, 'modem simulator on the line');
  }

  async stop(): Promise<void> {
    const { port, server } = this;
    this.port = undefined;
    this.server = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (port?.isOpen === true) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private onSms(sms: SentSms): void {
    this.messages.push(sms);
    this.log.info({ number: sms.number, mr: sms.mr, chars: sms.text.length }, 'SMS sent');
    this.o.onSms?.(sms);
    if (this.o.messagesFile !== undefined) fs.appendFileSync(this.o.messagesFile, `${JSON.stringify(sms)}\n`);
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/messages') reply(200, this.messages);
    else if (req.url !== '/faults') reply(404, { error: 'not found' });
    else if (req.method === 'GET') reply(200, this.engine.faults);
    else if (req.method !== 'PUT') reply(405, { error: 'GET or PUT' });
    else this.putFaults(req, reply);
  }

  /** PUT /faults: a ModemFaults object replaces the faults. */
  private putFaults(req: http.IncomingMessage, reply: (status: number, body: unknown) => void): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => {
      if (body.length < 4096) body += s;
    });
    req.on('end', () => {
      try {
        const faults = JSON.parse(body) as unknown;
        if (typeof faults !== 'object' || faults === null || Array.isArray(faults)) {
          reply(400, { error: 'expected a JSON object' });
          return;
        }
        this.faults = faults as ModemFaults;
        reply(200, this.engine.faults);
      } catch {
        reply(400, { error: 'expected a JSON object' });
      }
    });
  }
}
