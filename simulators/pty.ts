import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface PtyPair {
  /** Path of one end (a symlink to /dev/pts/N). */
  readonly a: string;
  /** Path of the other end. */
  readonly b: string;
  /** Kills socat and waits for it to exit; safe to call twice. */
  close(): Promise<void>;
}

/**
 * A connected pair of pseudo-terminals, raw and without echo, made by socat: bytes written to
 * `a` come out of `b` and back. Stands in for a serial line (RS-485 adapter) in tests.
 */
export async function openPtyPair(dir: string, timeoutMs = 5000): Promise<PtyPair> {
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  // 'close', not 'exit': a socat that could not be spawned (not installed) emits 'error' and
  // 'close' but never 'exit', and close() would wait forever.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));

  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };

  const deadline = Date.now() + timeoutMs;
  // socat creates the links once both ptys exist and logs "starting data transfer loop" when ready.
  while (!(fs.existsSync(a) && fs.existsSync(b) && stderr.includes('starting data transfer loop'))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`socat did not create ${a} and ${b}: ${spawnError?.message ?? stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { a, b, close };
}
