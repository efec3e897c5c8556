import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRelease, INSTALL, ok, run, snapshot } from './pi-install-setup.ts';

describe('deploy/pi/install.sh into a throwaway root (ATALAYA_ROOT)', () => {
  let dir: string;
  let root: string;
  let v1: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'atalaya-pi-install-'));
    root = path.join(dir, 'root');
    fs.mkdirSync(root);
    v1 = fakeRelease(dir, '0.1.0');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs the release, the unit, the udev rule, the sysusers entry, the directories and an example config', () => {
    ok(INSTALL, root, [v1]);
    const tree = snapshot(root);
    const read = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
    expect(tree['opt/atalaya/current']).toBe('link 0.1.0');
    expect(tree['usr/local/bin/atalaya']).toBe('link /opt/atalaya/current/bin/atalaya.mjs');
    expect(tree['opt/atalaya/0.1.0/bin/atalaya.mjs']).toMatch(/^file 0755 /);
    expect(tree['opt/atalaya/0.1.0/dist/cli/main.js']).toMatch(/^file 0644 /);
    expect(tree['opt/atalaya/0.1.0/node_modules/yaml/index.js']).toMatch(/^file 0644 /);
    expect(read('opt/atalaya/0.1.0/dist/cli/main.js')).toContain("'0.1.0'");
    expect(read('usr/lib/systemd/system/atalaya-agent.service')).toBe(fs.readFileSync('deploy/pi/atalaya-agent.service', 'utf8'));
    expect(read('usr/lib/udev/rules.d/99-atalaya-rs485.rules')).toBe(fs.readFileSync('deploy/pi/99-atalaya-rs485.rules', 'utf8'));
    expect(read('usr/lib/sysusers.d/atalaya.conf')).toBe(fs.readFileSync('deploy/pi/atalaya.sysusers', 'utf8'));
    expect(read('etc/atalaya/agent.yaml')).toBe(fs.readFileSync('deploy/examples/agent.yaml', 'utf8'));
    expect(tree['etc/atalaya/agent.yaml']).toMatch(/^file 0640 /);
    expect(tree['etc/atalaya']).toMatch(/^dir 0755 /);
    expect(tree['var/lib/atalaya']).toMatch(/^dir 0750 /);
    expect(Object.keys(tree).filter((p) => p.includes('.install.'))).toEqual([]);
  });

  it('gives the same tree when run twice, and never touches a config a person wrote', () => {
    ok(INSTALL, root, [v1]);
    const first = snapshot(root);
    ok(INSTALL, root, [v1]);
    expect(snapshot(root)).toEqual(first);

    const config = path.join(root, 'etc/atalaya/agent.yaml');
    fs.writeFileSync(config, 'gateway: {id: written-by-a-person}\n');
    fs.chmodSync(config, 0o600);
    const edited = snapshot(root);
    ok(INSTALL, root, [v1]);
    expect(snapshot(root)).toEqual(edited);
    expect(fs.readFileSync(config, 'utf8')).toBe('gateway: {id: written-by-a-person}\n');
  });

  it('keeps a config that was there before the first install, even a symlink', () => {
    fs.mkdirSync(path.join(root, 'etc/atalaya'), { recursive: true });
    fs.writeFileSync(path.join(root, 'site.yaml'), 'gateway: {id: provisioned}\n');
    fs.symlinkSync('/site.yaml', path.join(root, 'etc/atalaya/agent.yaml'));
    ok(INSTALL, root, [v1]);
    expect(fs.readlinkSync(path.join(root, 'etc/atalaya/agent.yaml'))).toBe('/site.yaml');
    expect(fs.readFileSync(path.join(root, 'site.yaml'), 'utf8')).toBe('gateway: {id: provisioned}\n');
  });

  it('upgrades: the new version becomes current, the previous one stays for a rollback, the config stays', () => {
    ok(INSTALL, root, [v1]);
    const config = path.join(root, 'etc/atalaya/agent.yaml');
    fs.writeFileSync(config, 'gateway: {id: site}\n');
    ok(INSTALL, root, [fakeRelease(dir, '0.2.0')]);
    expect(fs.readlinkSync(path.join(root, 'opt/atalaya/current'))).toBe('0.2.0');
    expect(fs.readFileSync(path.join(root, 'opt/atalaya/current/dist/cli/main.js'), 'utf8')).toContain("'0.2.0'");
    expect(fs.existsSync(path.join(root, 'opt/atalaya/0.1.0/bin/atalaya.mjs'))).toBe(true);
    expect(fs.readFileSync(config, 'utf8')).toBe('gateway: {id: site}\n');
  });

  it('refuses a tarball that is not a release, and leaves the tree as it was', () => {
    ok(INSTALL, root, [v1]);
    const before = snapshot(root);
    const r = run(INSTALL, root, [fakeRelease(dir, '9.9.9', 'not-a-release')]);
    expect(r.status).toBe(1);
    expect(snapshot(root)).toEqual(before);
    expect(run(INSTALL, root, [path.join(dir, 'missing.tar.gz')]).status).toBe(1);
    expect(run(INSTALL, root, []).status).toBe(2);
  });
});
