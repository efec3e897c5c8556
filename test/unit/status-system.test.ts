import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemProbe } from '../../agent/status/system.ts';
import { readAgentVersion } from '../../agent/status/version.ts';

describe('system probe', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function fakeRoot(zones: Array<[type: string, temp: string]>, meminfo?: string): string {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-sys-'));
    zones.forEach(([type, temp], i) => {
      const z = path.join(dir!, 'sys/class/thermal', `thermal_zone${i}`);
      mkdirSync(z, { recursive: true });
      writeFileSync(path.join(z, 'type'), `${type}\n`);
      writeFileSync(path.join(z, 'temp'), `${temp}\n`);
    });
    if (meminfo !== undefined) {
      mkdirSync(path.join(dir, 'proc'), { recursive: true });
      writeFileSync(path.join(dir, 'proc/meminfo'), meminfo);
    }
    return dir;
  }

  it('reads the CPU zone in °C (millidegrees in sysfs), preferring it over other zones', async () => {
    const root = fakeRoot([
      ['acpitz', '27800'],
      ['x86_pkg_temp', '55512'],
    ]);
    expect(await new SystemProbe({ root, diskPath: root }).cpuTemp()).toBe(55.5);
  });

  it('takes a Raspberry Pi cpu-thermal zone, or the first readable zone when none is named for the CPU', async () => {
    expect(await new SystemProbe({ root: fakeRoot([['cpu-thermal', '48150']]), diskPath: '.' }).cpuTemp()).toBe(48.2);
    rmSync(dir!, { recursive: true });
    expect(
      await new SystemProbe({
        root: fakeRoot([
          ['acpitz', 'garbage'],
          ['acpitz', '31000'],
        ]),
        diskPath: '.',
      }).cpuTemp(),
    ).toBe(31);
  });

  it('gives null without thermal zones (containers, some VMs)', async () => {
    const root = fakeRoot([]);
    expect(await new SystemProbe({ root, diskPath: root }).cpuTemp()).toBeNull();
  });

  it('reads MemAvailable from /proc/meminfo in bytes', async () => {
    const root = fakeRoot([], 'MemTotal:        3884480 kB\nMemFree:          120000 kB\nMemAvailable:    2000000 kB\n');
    expect(await new SystemProbe({ root, diskPath: root }).memAvailable()).toBe(2_000_000 * 1024);
  });

  it('reports the disk holding the path, null when the path does not exist', async () => {
    const root = fakeRoot([]);
    const disk = await new SystemProbe({ root, diskPath: root }).disk();
    expect(disk).toMatchObject({ path: root });
    expect(disk!.totalBytes).toBeGreaterThan(0);
    expect(disk!.freeBytes).toBeLessThanOrEqual(disk!.totalBytes);
    expect(await new SystemProbe({ root, diskPath: path.join(root, 'missing') }).disk()).toBeNull();
  });

  it('reads the version from the package.json above the module', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-ver-'));
    mkdirSync(path.join(dir, 'dist/agent/status'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'atalaya', version: '9.8.7' }));
    writeFileSync(path.join(dir, 'dist/package.json'), JSON.stringify({ name: 'other', version: '0.0.1' }));
    expect(readAgentVersion(path.join(dir, 'dist/agent/status/version.js'))).toBe('9.8.7');
  });
});
