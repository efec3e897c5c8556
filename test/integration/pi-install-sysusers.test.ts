import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

describe('deploy/pi/atalaya.sysusers', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(tmpdir(), 'atalaya-sysusers-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('creates a system user atalaya with no login, member of dialout, and changes nothing the second time', () => {
    expect(
      spawnSync('sh', ['-c', 'command -v systemd-sysusers']).status,
      'systemd-sysusers not found: install the Debian package systemd (bin/system-deps.mjs, run by npm test, does)',
    ).toBe(0);
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:\n');
    const sysusers = (): void => {
      const r = spawnSync('systemd-sysusers', [`--root=${root}`, path.resolve('deploy/pi/atalaya.sysusers')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`systemd-sysusers: ${r.stderr}`);
    };
    sysusers();
    const passwd = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8');
    const group = fs.readFileSync(path.join(root, 'etc/group'), 'utf8');
    const user = passwd
      .split('\n')
      .find((l) => l.startsWith('atalaya:'))!
      .split(':');
    expect(Number(user[2])).toBeLessThan(1000);
    expect(user[5]).toBe('/var/lib/atalaya');
    expect(user[6]).toBe('/usr/sbin/nologin');
    expect(group).toContain('dialout:x:20:atalaya\n');
    sysusers();
    expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toBe(passwd);
    expect(fs.readFileSync(path.join(root, 'etc/group'), 'utf8')).toBe(group);
  });
});
