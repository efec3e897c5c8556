import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const out = (line: string): void => void process.stdout.write(`${line}\n`);
export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}`;
}

export interface SimProcess {
  readonly child: ChildProcess;
  readonly tcpPort: number | undefined;
  stop(): Promise<void>;
}

/** `atalaya sim …` as its own process, so its CPU is not counted as the agent's. */
export async function startSim(args: string[]): Promise<SimProcess> {
  const child = spawn(process.execPath, [path.resolve('bin/atalaya.mjs'), 'sim', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 20_000;
  while (!/modbus (tcp|rtu)/.test(text)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`simulator did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = /modbus tcp +\S+:(\d+)/.exec(text)?.[1];
  return {
    child,
    tcpPort: port === undefined ? undefined : Number(port),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident set size and CPU seconds (user + system) of a process, from /proc. */
export function procUsage(pid: number): { rssBytes: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: rssKb * 1024, cpuSeconds: ticks / 100 };
}
