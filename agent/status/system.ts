import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SystemHealth {
  readonly cpuTempC: number | null;
  readonly load1: number;
  readonly memTotalBytes: number;
  readonly memAvailableBytes: number;
  readonly rssBytes: number;
  readonly disk: { readonly path: string; readonly totalBytes: number; readonly freeBytes: number } | null;
  readonly osUptimeS: number;
}

export interface SystemProbeOptions {
  /** Where /sys and /proc are looked up; '/' except in tests. */
  readonly root?: string;
  /** A path on the file system whose space is reported (the buffer's directory). */
  readonly diskPath: string;
}

/** Names of thermal zones that measure the CPU (Raspberry Pi, x86, generic SoC kernels). */
const CPU_ZONE = /cpu|x86_pkg|soc|core/i;

/**
 * Health of the machine the agent runs on, as a technician checks a Pi on site: CPU temperature
 * (throttling starts at 80 °C on a Pi), memory, SD card space, load. Every figure is read when
 * asked; nothing here holds a timer.
 */
export class SystemProbe {
  private readonly root: string;

  constructor(private readonly o: SystemProbeOptions) {
    this.root = o.root ?? '/';
  }

  async read(): Promise<SystemHealth> {
    const [cpuTempC, memAvailableBytes, disk] = await Promise.all([this.cpuTemp(), this.memAvailable(), this.disk()]);
    return {
      cpuTempC,
      load1: os.loadavg()[0] ?? 0,
      memTotalBytes: os.totalmem(),
      memAvailableBytes,
      rssBytes: process.memoryUsage.rss(),
      disk,
      osUptimeS: Math.round(os.uptime()),
    };
  }

  /** °C from /sys/class/thermal/thermal_zone*\/temp (millidegrees); a CPU zone first, else the first readable; null when none. */
  async cpuTemp(): Promise<number | null> {
    const dir = path.join(this.root, 'sys/class/thermal');
    let zones: string[];
    try {
      zones = (await fs.readdir(dir)).filter((z) => /^thermal_zone\d+$/.test(z)).sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
    } catch {
      return null;
    }
    const readings: Array<{ type: string; c: number }> = [];
    for (const z of zones) {
      const milli = Number((await readText(path.join(dir, z, 'temp')))?.trim());
      if (!Number.isFinite(milli)) continue;
      readings.push({ type: (await readText(path.join(dir, z, 'type')))?.trim() ?? '', c: Math.round(milli / 100) / 10 });
    }
    return (readings.find((r) => CPU_ZONE.test(r.type)) ?? readings[0])?.c ?? null;
  }

  /** MemAvailable of /proc/meminfo (what can be allocated without swapping); os.freemem() where absent. */
  async memAvailable(): Promise<number> {
    const text = await readText(path.join(this.root, 'proc/meminfo'));
    const kb = text === undefined ? undefined : /^MemAvailable:\s+(\d+)\s+kB$/m.exec(text)?.[1];
    return kb === undefined ? os.freemem() : Number(kb) * 1024;
  }

  async disk(): Promise<SystemHealth['disk']> {
    const where = path.resolve(this.o.diskPath);
    try {
      const s = await fs.statfs(where);
      // bavail, not bfree: the blocks reserved for root are not space the agent can use.
      return { path: where, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch {
      return null;
    }
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
