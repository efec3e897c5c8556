import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const RULES = 'deploy/pi/99-atalaya-rs485.rules';

interface Key {
  readonly key: string;
  readonly attr: string | undefined;
  readonly op: string;
  readonly value: string;
}

/** udev(7) keys: which may match (==, !=) and which may assign (=, +=, -=, :=). */
const MATCH = new Set([
  'ACTION',
  'DEVPATH',
  'KERNEL',
  'KERNELS',
  'NAME',
  'SYMLINK',
  'SUBSYSTEM',
  'SUBSYSTEMS',
  'DRIVER',
  'DRIVERS',
  'ATTR',
  'ATTRS',
  'SYSCTL',
  'ENV',
  'CONST',
  'TAG',
  'TAGS',
  'TEST',
  'PROGRAM',
  'RESULT',
]);
const ASSIGN = new Set(['NAME', 'SYMLINK', 'OWNER', 'GROUP', 'MODE', 'SECLABEL', 'ATTR', 'SYSCTL', 'ENV', 'TAG', 'RUN', 'LABEL', 'GOTO', 'IMPORT', 'OPTIONS']);
const NEEDS_ATTR = new Set(['ATTR', 'ATTRS', 'SYSCTL', 'ENV', 'CONST', 'IMPORT', 'SECLABEL']);
const MAY_HAVE_ATTR = new Set(['RUN', 'TEST']);

/** One rule line as udev(7) reads it: comma-separated `KEY[{attr}] op "value"`. Throws on anything else. */
function parseRule(line: string): Key[] {
  const keys: Key[] = [];
  const re = /\s*([A-Z_]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < line.length) {
    re.lastIndex = at;
    const m = re.exec(line);
    if (!m) throw new Error(`cannot parse at column ${at + 1}: ${line}`);
    const [, key, attr, op, value, sep] = m as unknown as [string, string, string | undefined, string, string, string];
    const matching = op === '==' || op === '!=';
    if (!(matching ? MATCH : ASSIGN).has(key)) throw new Error(`${key} cannot be used with ${op}: ${line}`);
    if (!MAY_HAVE_ATTR.has(key) && (attr !== undefined) !== NEEDS_ATTR.has(key))
      throw new Error(`${key} ${attr === undefined ? 'needs' : 'takes no'} {attribute}: ${line}`);
    keys.push({ key, attr, op, value });
    at = re.lastIndex;
    if (sep === '' && at < line.length) throw new Error(`missing comma: ${line}`);
  }
  return keys;
}

function rules(): Key[][] {
  return fs
    .readFileSync(RULES, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map(parseRule);
}

const find = (rule: Key[], key: string, attr?: string): Key | undefined => rule.find((k) => k.key === key && k.attr === attr);

describe('deploy/pi/99-atalaya-rs485.rules', () => {
  it('parses line by line as udev(7) rules, every GOTO with its LABEL', () => {
    const all = rules();
    expect(all.length).toBeGreaterThan(0);
    const labels = all.flatMap((r) => r.filter((k) => k.key === 'LABEL').map((k) => k.value));
    for (const k of all.flat().filter((k) => k.key === 'GOTO')) expect(labels).toContain(k.value);
    expect(fs.readFileSync(RULES, 'utf8')).not.toMatch(/\\\n/);
    // udevadm verify came with systemd 254; Debian 12 has 252, where the parser above is the check.
    if (spawnSync('udevadm', ['verify', '--help']).status === 0) {
      const r = spawnSync('udevadm', ['verify', RULES], { encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('the parser rejects what udev rejects (a test of the test)', () => {
    expect(() => parseRule('SUBSYSTEM=="tty" SYMLINK+="x"')).toThrow();
    expect(() => parseRule('SUBSYSTEM=="tty", MODE=="0660"')).toThrow();
    expect(() => parseRule("SUBSYSTEM=='tty'")).toThrow();
    expect(() => parseRule('SUBSYSTEM=="tty", ATTR="1"')).toThrow();
  });

  it('sets the latency timer of FTDI adapters to 1 ms on their usb-serial port, once bound', () => {
    const latency = rules().filter((r) => find(r, 'ATTR', 'latency_timer'));
    expect(latency).toHaveLength(1);
    const rule = latency[0]!;
    expect(find(rule, 'ATTR', 'latency_timer')).toMatchObject({ op: '=', value: '1' });
    expect(find(rule, 'SUBSYSTEM')).toMatchObject({ op: '==', value: 'usb-serial' });
    expect(find(rule, 'DRIVER')).toMatchObject({ op: '==', value: 'ftdi_sio' });
    expect(find(rule, 'ACTION')!.value.split('|').sort()).toEqual(['add', 'bind']);
  });

  it('names every supported adapter by USB socket, and by serial number when it has one, under /dev/serial/atalaya', () => {
    const links = rules().filter((r) => find(r, 'SYMLINK'));
    expect(links.map((r) => find(r, 'SYMLINK')!.value)).toEqual([
      'serial/atalaya/port-%b',
      'serial/atalaya/rs485-$env{ID_SERIAL_SHORT}-if$env{ID_USB_INTERFACE_NUM}',
    ]);
    for (const r of links) {
      expect(find(r, 'SYMLINK')!.op).toBe('+=');
      expect(find(r, 'SUBSYSTEMS')).toMatchObject({ op: '==', value: 'usb' });
      expect(find(r, 'DRIVERS')!.value.split('|').sort()).toEqual(['ch341', 'cp210x', 'ftdi_sio', 'pl2303']);
    }
    expect(find(links[1]!, 'ENV', 'ID_SERIAL_SHORT')).toMatchObject({ op: '==', value: '?*' });
  });
});
