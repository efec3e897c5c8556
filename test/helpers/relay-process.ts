/** `atalaya relay` (and any other atalaya command) as a real child process, the way operators run it. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { newRelayKey } from '../../cloud/secrets.ts';

const BIN = path.resolve('bin/atalaya.mjs');
/** Log lines kept per process, for the message of a failed wait. */
const TAIL_LINES = 200;

/** The parent's environment without any ATALAYA_ setting that would change what is tested. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_'))), ...extra };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A long-running atalaya process whose JSON log lines (stdout and stderr) are read as they come.
 * Only a tail is kept, so a chatty process does not grow the test's memory.
 */
export class AtalayaProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  private readonly lines: string[] = [];
  private readonly watchers = new Set<(line: string) => void>();
  private exit: Exit | undefined;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.on('data', (d: Buffer) => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop()!;
        for (const line of parts) this.line(line);
      });
    }
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Recent log lines, for failure messages. */
  tail(): string {
    return this.lines.join('\n');
  }

  /** Calls `fn` with every log line from now on; returns the unsubscribe. */
  onLine(fn: (line: string) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** The first log line from now on (or in the kept tail) whose JSON `msg` is `msg`, parsed. */
  waitForMessage<T = Record<string, unknown>>(msg: string, timeoutMs = 30_000): Promise<T> {
    const match = (line: string): T | undefined => {
      if (!line.includes(`"msg":${JSON.stringify(msg)}`)) return undefined;
      try {
        return JSON.parse(line) as T;
      } catch {
        return undefined;
      }
    };
    for (const line of this.lines) {
      const m = match(line);
      if (m !== undefined) return Promise.resolve(m);
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const done = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        off();
        fn();
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for "${msg}"; log tail:\n${this.tail()}`))), timeoutMs);
      const off = this.onLine((line) => {
        const m = match(line);
        if (m !== undefined) done(() => resolve(m));
      });
      void this.exited.then((exit) => done(() => reject(new Error(`exited (${exit.code ?? exit.signal}) before "${msg}"; log tail:\n${this.tail()}`))));
    });
  }

  /** SIGKILL (default) or another signal, then waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Safe to call on an exited process. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  private line(line: string): void {
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    for (const fn of [...this.watchers]) fn(line);
  }
}

/** Runs a short atalaya command to its end. */
export function runAtalaya(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface RelaySetup {
  readonly configFile: string;
  /** Operator token for the read APIs (its sha256 is in the config). */
  readonly token: string;
}

/**
 * A relay config in `dir` as an operator writes it: listen on 127.0.0.1 port 0, `storage` as given
 * (SQLite paths relative to the config file), the relay key in a 0600 key file, one operator token.
 */
export function writeRelayConfig(dir: string, storage: Record<string, unknown>, extra = ''): RelaySetup {
  const keyFile = path.join(dir, 'relay.key');
  fs.writeFileSync(keyFile, `${newRelayKey()}\n`, { mode: 0o600 });
  const token = newApiToken();
  const configFile = path.join(dir, 'relay.yaml');
  fs.writeFileSync(
    configFile,
    `listen: {host: 127.0.0.1, port: 0}
storage: ${JSON.stringify(storage)}
keyFile: relay.key
apiTokens: ['${hashApiToken(token)}']
log: {level: info}
${extra}`,
  );
  return { configFile, token };
}

/** `atalaya relay gateway add <id>`: the secret it prints once. */
export async function addGateway(configFile: string, id: string): Promise<string> {
  const r = await runAtalaya(['relay', 'gateway', 'add', id, '-c', configFile]);
  if (r.status !== 0) throw new Error(`relay gateway add ${id}: exit ${r.status}\n${r.stderr}`);
  return r.stdout.trim();
}

export interface RelayProcess {
  readonly process: AtalayaProcess;
  readonly port: number;
  readonly url: string;
}

/** `atalaya relay -c <configFile>`, once it listens (its port read from the "relay listening" line). */
export async function startRelayProcess(configFile: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<RelayProcess> {
  const p = new AtalayaProcess(['relay', '-c', configFile], env);
  try {
    const { port } = await p.waitForMessage<{ port: number }>('relay listening');
    return { process: p, port, url: `http://127.0.0.1:${port}` };
  } catch (err) {
    await p.kill();
    throw err;
  }
}

/** GET a relay read API with an operator token; throws on a status other than 200. */
export async function getJson<T>(url: string, pathAndQuery: string, token: string): Promise<T> {
  const res = await request(`${url}${pathAndQuery}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`GET ${pathAndQuery}: ${res.statusCode} ${JSON.stringify(body)}`);
  return body as T;
}

/** Every record the relay serves for `query`, page by page (keyset cursor). */
export async function allRelayRecords(url: string, token: string, query: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const page: { items: Array<Record<string, unknown>>; next: string | null } = await getJson(
      url,
      `/v1/readings?limit=10000&${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      token,
    );
    out.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  return out;
}
