import net from 'node:net';
import type { Logger } from 'pino';
import type { MbapFrame } from '../../protocols/modbus/frame.ts';
import { EXCEPTION, encodeException, encodeMbap, MbapSplitter } from '../../protocols/modbus/frame.ts';
import { listenFailed } from './errors.ts';
import type { Answer, UnitRouter } from './pdu-handler.ts';
import { Timers } from './timers.ts';

export interface TcpServerOptions {
  /** Interface to listen on, e.g. '127.0.0.1' (bench) or '0.0.0.0'. */
  readonly host: string;
  /** TCP port 0..65535; 0 lets the OS pick a free one (read `port` after start()). 502 is the standard. */
  readonly port: number;
  readonly router: UnitRouter;
  readonly logger: Logger;
}

export interface TcpServerStats {
  connections: number;
  requests: number;
  answers: number;
  /** Requests deliberately left unanswered (drop fault). */
  silent: number;
  /** MBAP frames rejected (bad protocol id or length). */
  frameErrors: number;
}

/**
 * Modbus/TCP server (Modbus Messaging on TCP/IP Implementation Guide v1.0b). Each connection
 * answers its requests in the order they came, even when a client pipelines them and some are
 * delayed by a fault. A unit id without a device gets exception 0x0B, as a gateway whose target
 * does not respond (Application Protocol v1.1b3 §7).
 */
export class ModbusTcpServer {
  readonly stats: TcpServerStats = { connections: 0, requests: 0, answers: 0, silent: 0, frameErrors: 0 };
  private readonly options: TcpServerOptions;
  private readonly log: Logger;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Timers();
  private server: net.Server | undefined;
  private boundPort: number | undefined;

  constructor(options: TcpServerOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'sim-modbus-tcp' });
  }

  /** The port actually bound (useful with port 0), undefined when not listening. */
  get port(): number | undefined {
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((socket) => this.onConnection(socket));
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenFailed(host, port, err)));
      server.listen(port, host, () => resolve());
    });
    server.on('error', (err) => this.log.error({ err }, 'server error'));
    this.server = server;
    const address = server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : undefined;
    this.log.info({ host, port: this.boundPort }, 'Modbus/TCP simulator listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundPort = undefined;
    this.timers.cancelAll();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    this.stats.connections++;
    socket.setNoDelay(true);
    const splitter = new MbapSplitter();
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const entry of splitter.push(chunk)) {
        if ('error' in entry) {
          this.stats.frameErrors++;
          this.log.debug({ code: entry.error, bytes: entry.bytes.length }, 'bad MBAP frame');
          if (!entry.recoverable) socket.destroy();
          continue;
        }
        queue = queue.then(() => this.serve(socket, entry)).catch((err: unknown) => this.log.error({ err }, 'cannot answer request'));
      }
    });
    socket.on('error', (err) => this.log.debug({ err }, 'connection error'));
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async serve(socket: net.Socket, frame: MbapFrame): Promise<void> {
    this.stats.requests++;
    const fc = frame.pdu[0] ?? 0;
    let answer: Answer;
    try {
      answer = this.options.router.route(frame.unit, frame.pdu) ?? reply(encodeException(fc, EXCEPTION.gatewayTargetFailed));
    } catch (err) {
      this.log.error({ err, unit: frame.unit }, 'simulated device failed');
      answer = reply(encodeException(fc, EXCEPTION.slaveDeviceFailure));
    }
    if (answer.kind === 'silent') {
      this.stats.silent++;
      return;
    }
    if (!(await this.timers.wait(answer.delayMs)) || socket.destroyed) return;
    socket.write(encodeMbap(frame.transactionId, frame.unit, answer.pdu));
    this.stats.answers++;
  }
}

function reply(pdu: Uint8Array): Answer {
  return { kind: 'reply', pdu, delayMs: 0, corruptCrc: false };
}
