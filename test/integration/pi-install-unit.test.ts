import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fakeRelease, INSTALL, ok } from './pi-install-setup.ts';

const UNIT = 'deploy/pi/atalaya-agent.service';

function requireSystemdAnalyze(): void {
  const found = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;
  expect(found, 'systemd-analyze not found: install the Debian package systemd (bin/system-deps.mjs, run by npm test, does)').toBe(true);
}

/** [Service] and [Unit] settings as key → values (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('deploy/pi/atalaya-agent.service', () => {
  let dir: string;
  /** The unit as install.sh lays it out, its paths moved under a throwaway root so they exist. */
  let unitFile: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'atalaya-pi-unit-'));
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    ok(INSTALL, root, [fakeRelease(dir, '0.1.0')]);
    const unit = fs.readFileSync(path.join(root, 'usr/lib/systemd/system/atalaya-agent.service'), 'utf8');
    unitFile = path.join(dir, 'atalaya-agent.service');
    fs.writeFileSync(unitFile, unit.replaceAll('/opt/atalaya/', `${root}/opt/atalaya/`));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify with no diagnostic, ExecStart being what install.sh installs', () => {
    requireSystemdAnalyze();
    const r = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    // verify exits 0 on unknown keys and bad values ("…, ignoring"): its output is the verdict.
    // Lines about other units of this machine are not ours to judge.
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('atalaya-agent'));
    expect({ status: r.status, ours }).toEqual({ status: 0, ours: [] });
  });

  it('would be caught by that check with a mistake in it', () => {
    requireSystemdAnalyze();
    const broken = path.join(dir, 'broken', 'atalaya-agent.service');
    fs.mkdirSync(path.dirname(broken));
    fs.writeFileSync(broken, fs.readFileSync(unitFile, 'utf8').replace('ProtectSystem=strict', 'ProtectSystem=strct'));
    const r = spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('atalaya-agent'))).not.toEqual([]);
  });

  it('is hardened: systemd-analyze security rates its exposure below 3 (of 10)', () => {
    requireSystemdAnalyze();
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unitFile], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const level = /Overall exposure level for atalaya-agent\.service: ([0-9.]+)/.exec(r.stdout);
    expect(level, r.stdout).not.toBeNull();
    expect(Number(level![1])).toBeLessThan(3);
  });

  it('is a notify service with a watchdog, restarted always, confined to its data directory', () => {
    const d = directives(fs.readFileSync(UNIT, 'utf8'));
    expect(d.get('Type')).toEqual(['notify']);
    // Messages come from systemd-notify children (agent/system/notify-send.ts).
    expect(d.get('NotifyAccess')).toEqual(['all']);
    expect(d.get('WatchdogSec')![0]).toMatch(/^[1-9][0-9]*s$/);
    expect(d.get('Restart')).toEqual(['always']);
    expect(d.get('StartLimitIntervalSec')).toEqual(['0']);
    expect(d.get('User')).toEqual(['atalaya']);
    expect(d.get('SupplementaryGroups')).toEqual(['dialout']);
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['PrivateTmp', 'yes'],
      ['ProtectHome', 'yes'],
    ])
      expect(d.get(k!), k).toEqual([v]);
    expect(d.get('ReadWritePaths')).toEqual(['/var/lib/atalaya /opt/atalaya']);
    expect(d.get('StateDirectory')).toEqual(['atalaya']);
    // These would crash Node (W^X) or close the serial ports (see the unit's comments).
    for (const k of ['MemoryDenyWriteExecute', 'PrivateDevices', 'DevicePolicy', 'DeviceAllow', 'ProtectClock', 'PrivateUsers', 'ProcSubset'])
      expect(d.has(k), k).toBe(false);
  });

  it('lets the agent write where the example config puts the buffer, and reads the config install.sh writes', () => {
    const d = directives(fs.readFileSync(UNIT, 'utf8'));
    const example = parse(fs.readFileSync('deploy/examples/agent.yaml', 'utf8')) as { buffer: { path: string } };
    expect(example.buffer.path.startsWith(`${d.get('ReadWritePaths')![0]!.split(' ')[0]}/`)).toBe(true);
    expect(d.get('ExecStart')![0]).toBe('/opt/atalaya/current/bin/atalaya.mjs agent --config /etc/atalaya/agent.yaml');
  });
});
