/**
 * A bench double of everything the notification channels talk to: an SMTP catcher, a webhook
 * receiver that checks signatures and counts idempotency keys, a Twilio-style and a generic SMS
 * provider, and Telegram's sendMessage, with selectable faults. What arrived is listed at
 * GET /messages (JSON) and GET / (a page). Ports 0 by default; the URLs are printed by the CLI.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import type { Clock } from '../../protocols/clock.ts';
import { seededRandom } from '../modbus/faults.ts';
import { type SelfSigned, selfSigned } from './cert.ts';
import { notifySimListenFailed } from './errors.ts';
import { FaultGate, type NotifyFaults } from './faults.ts';
import { type HttpDoubleOptions, httpDoubles } from './http-doubles.ts';
import { Inbox, type Message } from './inbox.ts';
import { smtpCatcher } from './smtp-catcher.ts';

export interface NotifySimulatorOptions extends HttpDoubleOptions {
  readonly host?: string;
  /** 0 = any free port. */
  readonly httpPort?: number;
  /** 0 = any free port; undefined with `noSmtp`. */
  readonly smtpPort?: number;
  readonly noSmtp?: boolean;
  readonly smtpAuth?: { readonly user: string; readonly password: string };
  /** Offer STARTTLS with a self-signed certificate made at start. */
  readonly starttls?: boolean;
  readonly faults?: NotifyFaults;
  readonly seed?: number;
  readonly clock: Clock;
  readonly onMessage?: (m: Message) => void;
}

export class NotifySimulator {
  readonly inbox: Inbox;
  private readonly gate: FaultGate;
  private httpServer: http.Server | undefined;
  private smtpServer: SMTPServer | undefined;
  private cert: SelfSigned | undefined;
  private httpBound: number | undefined;
  private smtpBound: number | undefined;

  constructor(private readonly o: NotifySimulatorOptions) {
    this.inbox = new Inbox(o.clock, o.onMessage);
    this.gate = new FaultGate(o.faults, o.seed !== undefined ? seededRandom(o.seed) : Math.random);
  }

  private get host(): string {
    return this.o.host ?? '127.0.0.1';
  }

  /** The origin (scheme, host, port) every HTTP double is under (Twilio baseUrl, Telegram apiBase, /sms, /webhook). */
  get httpUrl(): string | undefined {
    return this.httpBound === undefined ? undefined : `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.httpBound}`;
  }

  get smtpPort(): number | undefined {
    return this.smtpBound;
  }

  /** The self-signed certificate's file (to name as the email channel's caFile), with starttls. */
  get certFile(): string | undefined {
    return this.cert?.certFile;
  }

  async start(): Promise<void> {
    if (this.httpServer !== undefined) return;
    try {
      const server = http.createServer(httpDoubles(this.o, this.inbox, this.gate, this.o.clock));
      this.httpServer = server;
      this.httpBound = await listen(server, this.o.httpPort ?? 0, this.host, 'http');
      if (this.o.noSmtp !== true) {
        if (this.o.starttls === true) this.cert = await selfSigned();
        const smtp = smtpCatcher(
          { ...(this.o.smtpAuth !== undefined ? { auth: this.o.smtpAuth } : {}), ...(this.cert !== undefined ? { tls: this.cert } : {}) },
          this.inbox,
        );
        this.smtpServer = smtp;
        this.smtpBound = await listen(smtp.server, this.o.smtpPort ?? 0, this.host, 'smtp');
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const smtp = this.smtpServer;
    const server = this.httpServer;
    this.smtpServer = undefined;
    this.httpServer = undefined;
    if (smtp !== undefined) await new Promise<void>((r) => smtp.close(() => r()));
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    if (this.cert !== undefined) fs.rmSync(this.cert.dir, { recursive: true, force: true });
    this.cert = undefined;
  }
}

function listen(
  server: {
    listen(port: number, host: string): unknown;
    once(e: string, f: (x?: unknown) => void): unknown;
    off(e: string, f: (x?: unknown) => void): unknown;
    address(): AddressInfo | string | null;
  },
  port: number,
  host: string,
  what: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown): void => reject(notifySimListenFailed(`${what} ${host}:${port}`, err));
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
    server.listen(port, host);
  });
}
