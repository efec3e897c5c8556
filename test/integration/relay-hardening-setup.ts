/** Shared by the relay hardening tests (issue 19): a relay child process with gateways, its log lines, its memory. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addGateway, type RelayProcess, startRelayProcess, writeRelayConfig } from '../helpers/relay-process.ts';

export interface HardenedRelay {
  readonly relay: RelayProcess;
  readonly secrets: ReadonlyMap<string, string>;
  /** Every log line the relay wrote since it listened. */
  readonly lines: string[];
  readonly token: string;
  stop(): Promise<void>;
}

/**
 * `atalaya relay` with `extra` YAML appended to its config, `listen` added to its listen section
 * (`, key: value` pairs), and the given gateways registered.
 */
export async function startHardenedRelay(extra: string, gateways: readonly string[] = [], listen = ''): Promise<HardenedRelay> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-relay-hard-'));
  try {
    const { configFile, token } = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' }, extra);
    fs.writeFileSync(
      configFile,
      fs.readFileSync(configFile, 'utf8').replace('listen: {host: 127.0.0.1, port: 0}', `listen: {host: 127.0.0.1, port: 0${listen}}`),
    );
    const secrets = new Map<string, string>();
    for (const id of gateways) secrets.set(id, await addGateway(configFile, id));
    const relay = await startRelayProcess(configFile);
    const lines: string[] = [];
    relay.process.onLine((line) => lines.push(line));
    return {
      relay,
      secrets,
      lines,
      token,
      stop: async () => {
        await relay.process.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A /proc/<pid>/status field in bytes (VmRSS now, VmHWM the peak so far). */
export function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Runs `task(i)` for i in 0..n-1, at most `concurrency` at a time. */
export async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await task(next++);
    }),
  );
}
