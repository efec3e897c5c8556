import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRelease, INSTALL, ok, run, UNINSTALL } from './pi-install-setup.ts';

describe('deploy/pi/uninstall.sh in a throwaway root (ATALAYA_ROOT)', () => {
  let dir: string;
  let root: string;
  let v1: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'atalaya-pi-uninstall-'));
    root = path.join(dir, 'root');
    fs.mkdirSync(root);
    v1 = fakeRelease(dir, '0.1.0');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uninstall keeps the config and the data unless --purge, and can run again', () => {
    ok(INSTALL, root, [v1]);
    fs.writeFileSync(path.join(root, 'var/lib/atalaya/buffer.db'), 'readings');
    fs.mkdirSync(path.join(root, 'etc/systemd/system/atalaya-agent.service.d'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/systemd/system/atalaya-agent.service.d/override.conf'), '[Service]\nWatchdogSec=60s\n');
    const config = fs.readFileSync(path.join(root, 'etc/atalaya/agent.yaml'), 'utf8');

    ok(UNINSTALL, root, []);
    ok(UNINSTALL, root, []);
    const gone = [
      'opt/atalaya',
      'usr/local/bin/atalaya',
      'usr/lib/systemd/system/atalaya-agent.service',
      'usr/lib/udev/rules.d/99-atalaya-rs485.rules',
      'usr/lib/sysusers.d/atalaya.conf',
    ];
    for (const p of gone) expect(fs.existsSync(path.join(root, p)), p).toBe(false);
    expect(fs.readFileSync(path.join(root, 'etc/atalaya/agent.yaml'), 'utf8')).toBe(config);
    expect(fs.readFileSync(path.join(root, 'var/lib/atalaya/buffer.db'), 'utf8')).toBe('readings');
    expect(fs.existsSync(path.join(root, 'etc/systemd/system/atalaya-agent.service.d/override.conf'))).toBe(true);

    // Reinstalling over kept data gives back the same program, with the config as it was.
    ok(INSTALL, root, [v1]);
    expect(fs.readFileSync(path.join(root, 'etc/atalaya/agent.yaml'), 'utf8')).toBe(config);

    ok(UNINSTALL, root, ['--purge']);
    for (const p of [...gone, 'etc/atalaya', 'var/lib/atalaya', 'etc/systemd/system/atalaya-agent.service.d'])
      expect(fs.existsSync(path.join(root, p)), p).toBe(false);
    expect(run(UNINSTALL, root, ['--keep']).status).toBe(2);
  });

  it('install and uninstall leave a command of the same name that is not theirs (a script, an npm link)', () => {
    const cli = path.join(root, 'usr/local/bin/atalaya');
    ok(INSTALL, root, [v1]);
    fs.rmSync(cli);
    fs.writeFileSync(cli, '#!/bin/sh\n', { mode: 0o755 });
    ok(INSTALL, root, [v1]);
    expect(fs.readFileSync(cli, 'utf8')).toBe('#!/bin/sh\n');
    ok(UNINSTALL, root, []);
    expect(fs.readFileSync(cli, 'utf8')).toBe('#!/bin/sh\n');

    fs.rmSync(cli);
    fs.symlinkSync('../lib/node_modules/atalaya/bin/atalaya.mjs', cli);
    ok(INSTALL, root, [v1]);
    ok(UNINSTALL, root, []);
    expect(fs.readlinkSync(cli)).toBe('../lib/node_modules/atalaya/bin/atalaya.mjs');
  });
});
