/**
 * A real SMTP server for the email channel's tests: test/helpers/smtp-sink.py on Debian's
 * aiosmtpd (/usr/bin/python3: the Debian interpreter, which has python3-aiosmtpd), on a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './wait.ts';

export interface SunkMail {
  readonly file: string;
  readonly from: string;
  readonly to: string[];
  readonly tls: boolean;
  readonly auth: unknown;
  /** The message as received (headers and body, CRLF line ends). */
  readonly raw: string;
}

export interface SmtpSinkOptions {
  readonly dir: string;
  readonly auth?: { readonly user: string; readonly password: string };
  readonly starttls?: { readonly certFile: string; readonly keyFile: string };
  /** Implicit TLS from the first byte (port 465 style). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

/** A port nothing listens on right now (bound on 0, then closed). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class SmtpSink {
  readonly mails: SunkMail[] = [];

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(o: SmtpSinkOptions): Promise<SmtpSink> {
    const port = await freePort();
    const args = [path.join(import.meta.dirname, 'smtp-sink.py'), '--port', String(port), '--dir', o.dir];
    if (o.auth !== undefined) args.push('--auth', `${o.auth.user}:${o.auth.password}`);
    if (o.starttls !== undefined) args.push('--starttls', o.starttls.certFile, o.starttls.keyFile);
    if (o.tls !== undefined) args.push('--tls', o.tls.certFile, o.tls.keyFile);
    const child = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = new SmtpSink(port, child);
    let ready = false;
    let stderr = '';
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const m = JSON.parse(line) as { ready?: number; file?: string };
        if (m.ready !== undefined) ready = true;
        else sink.mails.push({ ...(m as Omit<SunkMail, 'raw'>), raw: fs.readFileSync(m.file!, 'utf8') });
      }
    });
    try {
      await waitFor(() => ready || child.exitCode !== null, 'smtp sink ready');
      if (!ready) throw new Error(`smtp-sink.py exited (${child.exitCode}): ${stderr}`);
      return sink;
    } catch (err) {
      await sink.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** A header of a raw message (unfolded), undefined when absent. */
export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return m?.[1]?.trim();
}
