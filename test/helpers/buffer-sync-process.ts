/** test/helpers/buffer-sync-child.ts as a child process, and the accounting read from its buffer file. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

const CHILD = path.resolve('test/helpers/buffer-sync-child.ts');

export interface BufferSyncConfig {
  readonly bufferPath: string;
  readonly url: string;
  readonly gatewayId: string;
  readonly maxBytes: number;
  readonly rowsPerTick: number;
  readonly tickMs: number;
}

export class BufferSyncProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly tail: string[] = [];
  private readonly watchers = new Set<(line: string) => void>();
  private done = false;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      }),
    );
  }

  /** Spawns the child and resolves once it logged "child ready". */
  static async start(config: BufferSyncConfig, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<BufferSyncProcess> {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const p = new BufferSyncProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child not ready in ${timeoutMs} ms:\n${p.tail.join('\n')}`)), timeoutMs);
      let partial = '';
      const onData = (d: Buffer): void => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          p.tail.push(line);
          if (p.tail.length > 50) p.tail.shift();
          for (const fn of [...p.watchers]) fn(line);
          if (line.includes('"msg":"child ready"')) {
            clearTimeout(timer);
            resolve();
          }
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void p.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`child exited (${exit.code ?? exit.signal}) before ready:\n${p.tail.join('\n')}`));
      });
    }).catch(async (err: unknown) => {
      await p.kill();
      throw err;
    });
    return p;
  }

  /** Calls `fn` with every log line from now on; returns the unsubscribe. */
  onLine(fn: (line: string) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** The next log line whose msg is `msg`. */
  waitForMessage(msg: string, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for "${msg}":\n${this.tail.join('\n')}`));
      }, timeoutMs);
      const off = this.onLine((line) => {
        if (!line.includes(`"msg":${JSON.stringify(msg)}`)) return;
        clearTimeout(timer);
        off();
        resolve(line);
      });
    });
  }

  /** Resident set size from /proc/<pid>/status, bytes, after a garbage collection in the child. */
  async rssAfterGc(): Promise<number> {
    const done = this.waitForMessage('gc done');
    this.child.kill('SIGUSR2');
    await done;
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kb === undefined) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(kb) * 1024;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async kill(): Promise<void> {
    if (!this.done) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (the child stops its sync, then its buffer), SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.done) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

export interface Accounting {
  /** Records still in the buffer. */
  readonly buffered: number;
  /** Records evicted unsent, all priorities. */
  readonly evicted: number;
  /** The highest seq committed (meta.next_seq − 1). */
  readonly lastSeq: number;
}

/** What the buffer file says, read by another connection (committed state only). */
export function readAccounting(file: string): Accounting | undefined {
  if (!fs.existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const buffered = db.prepare('SELECT count(*) FROM records').pluck().get() as number;
    const evicted = (db.prepare('SELECT sum(count) FROM evictions').pluck().get() as number | null) ?? 0;
    const lastSeq = (db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").pluck().get() as number) - 1;
    return { buffered, evicted, lastSeq };
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_ERROR') return undefined; // schema not there yet
    throw err;
  } finally {
    db.close();
  }
}
