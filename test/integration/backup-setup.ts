/** Shared by the backup and upgrade tests: a buffer writer child process and agent configs. */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRITER = path.join(ROOT, 'test/integration/fixtures/buffer-writer.ts');

/**
 * fixtures/buffer-writer.ts appending to `dbPath` as fast as it can (three producers, a commit
 * every 2 ms), as a separate process the way the agent is to `atalaya agent backup`.
 */
export class BufferWriter {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private lines = 0;
  private highest = 0;
  private stderr = '';

  constructor(dbPath: string, run: number) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WRITER, dbPath, String(run)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('close', resolve));
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        const [, , firstSeq = 0, count = 0] = line.split(' ').map(Number);
        this.lines++;
        this.highest = Math.max(this.highest, firstSeq + count - 1);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  /** Highest seq the writer saw committed. */
  get lastSeq(): number {
    return this.highest;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** For the message of a failed wait. */
  describe(): string {
    return `writer: ${this.lines} appends, last seq ${this.highest}, exit ${String(this.child.exitCode ?? this.child.signalCode)}; stderr: ${this.stderr}`;
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** An agent config (JSON is YAML) whose buffer is `bufferPath`; the rest is never started. */
export function writeAgentYaml(dir: string, name: string, bufferPath: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${JSON.stringify({ gateway: { id: 'gw-backup' }, buffer: { path: bufferPath } })}\n`);
  return file;
}

/** integrity_check's rows, user_version, and a one-integer query, read on a connection of its own. */
export function inspect(file: string, sql = 'SELECT 0'): { integrity: string[]; version: number; value: number } {
  const db = new Sqlite(file, { fileMustExist: true });
  try {
    return {
      integrity: (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check),
      version: db.pragma('user_version', { simple: true }) as number,
      value: db.prepare(sql).pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

/** Files in `dir` named `<base>.pre-v<n>-<stamp>.bak`, sorted. */
export function upgradeBackups(file: string): string[] {
  const base = `${path.basename(file)}.pre-v`;
  return fs
    .readdirSync(path.dirname(file))
    .filter((name) => name.startsWith(base) && name.endsWith('.bak'))
    .sort()
    .map((name) => path.join(path.dirname(file), name));
}
