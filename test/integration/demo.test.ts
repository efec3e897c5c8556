/**
 * `npm start` (atalaya demo) as a user runs it: a real child process bringing up simulators,
 * anvil, DGA double, relay, agent and status page, played at 4× speed. Checked from outside
 * through what it prints and the URLs it prints; then that it stops cleanly (exit 0, no anvil or
 * socat left), and that a second run on the same data dir continues on the same chain.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';

const bin = path.resolve('bin/atalaya.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-demo-test-'));
const data = path.join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Demo {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  readonly exited: Promise<number | null>;
}

let running: Demo | undefined;
/** Children of the demo seen while it ran (anvil, socat), to check none outlives it. */
let children: Array<{ pid: number; comm: string }> = [];
afterEach(async () => {
  if (running !== undefined && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
  for (const c of children) if (alive(c.pid)) process.kill(c.pid, 'SIGKILL');
  children = [];
});

function startDemo(args: string[]): Demo {
  const child = spawn(
    process.execPath,
    [
      bin,
      'demo',
      '--relay-port',
      '0',
      '--status-port',
      '0',
      '--mqtt-port',
      '0',
      '--data',
      data,
      '--scenario-speed',
      '4',
      '--anchor-schedule',
      '*/5 * * * * *',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return (running = { child, out: () => out, err: () => err, exited });
}

/**
 * The bench's processes whose parent is `pid` (Linux /proc): anvil and socat. (tsx's esbuild
 * service is the launcher's, not the bench's; it leaves on its own once its pipe closes.)
 */
function childrenOf(pid: number): Array<{ pid: number; comm: string }> {
  const found: Array<{ pid: number; comm: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const close = stat.lastIndexOf(')');
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      if (ppid === pid && (comm === 'anvil' || comm === 'socat')) found.push({ pid: Number(entry), comm });
    } catch {
      // Gone between readdir and read.
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Printed {
  readonly status: string;
  readonly statusToken: string;
  readonly dashboard: string;
  readonly relay: string;
  readonly operatorToken: string;
  readonly anvil: string;
  readonly contract: string;
  readonly dga: string;
  readonly notify: string;
}

async function printed(demo: Demo): Promise<Printed> {
  const text = await waitFor(
    () => (/Ctrl-C to stop/.test(demo.out()) ? demo.out() : undefined),
    `the demo's banner (stderr: ${demo.err().slice(-2000)})`,
    90_000,
    100,
  );
  const m = (re: RegExp): string[] => {
    const found = re.exec(text);
    if (found === null) throw new Error(`not printed: ${re}\n${text}`);
    return found.slice(1);
  };
  const [status = '', statusToken = ''] = m(/status page +(http:\/\/127\.0\.0\.1:\d+)\/ +token (\S+)/);
  const [dashboard = '', operatorToken = ''] = m(/relay dashboard +(http:\/\/127\.0\.0\.1:\d+\/dashboard\/) +operator token (\S+)/);
  const [anvil = '', contract = ''] = m(/anvil +(http:\/\/127\.0\.0\.1:\d+) +chain 31337, AtalayaAnchor (0x[0-9a-fA-F]{40})/);
  const [dga = ''] = m(/dga simulator +(http:\/\/127\.0\.0\.1:\d+\/api\/v1) /);
  m(/metrics +http:\/\/127\.0\.0\.1:\d+\/metrics .*http:\/\/127\.0\.0\.1:\d+\/metrics/);
  m(/mqtt broker +mqtt:\/\/127\.0\.0\.1:\d+/);
  const [notify = ''] = m(/notify simulator +(http:\/\/127\.0\.0\.1:\d+)\/ /);
  return { status, statusToken, dashboard, relay: dashboard.replace(/\/dashboard\/$/, ''), operatorToken, anvil, contract, dga, notify };
}

async function getJson(url: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

interface Caught {
  readonly channel: string;
  readonly to: string;
  readonly subject?: string;
  readonly text: string;
  readonly raw: string;
  readonly signature?: string;
  readonly duplicate: boolean;
}
const caught = async (p: Printed): Promise<Caught[]> => (await getJson(`${p.notify}/messages`)).body['messages'] as Caught[];

/** The ack link in a caught email, its body quoted-printable or base64 as the mailer chose. */
function ackLink(raw: string): string | undefined {
  const re = /http:\/\/127\.0\.0\.1:\d+\/v1\/alerts\/ack\?t=[A-Za-z0-9_.-]+/;
  const qp = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const found = re.exec(qp);
  if (found !== null) return found[0];
  for (const block of raw.match(/(?:^[A-Za-z0-9+/=]{20,}\r?\n)+/gm) ?? []) {
    const hit = re.exec(Buffer.from(block.replace(/\s/g, ''), 'base64').toString('utf8'));
    if (hit !== null) return hit[0];
  }
  return undefined;
}

type AlertRow = { id: string; kind: string; state: string; ackedAt: number | null; ackedBy: string | null };
const alertsOf = async (p: Printed): Promise<AlertRow[]> => (await getJson(`${p.relay}/v1/alerts?state=all`, p.operatorToken)).body['alerts'] as AlertRow[];

type Batch = { id: number; status: string; size: number };
const batches = async (p: Printed): Promise<Batch[]> => (await getJson(`${p.relay}/v1/anchors`, p.operatorToken)).body['batches'] as Batch[];

/** Exit code 0, the closing line, and no child process (anvil, socat) left. */
async function expectCleanStop(demo: Demo, seen: Array<{ pid: number; comm: string }>): Promise<void> {
  expect(await demo.exited, demo.err().slice(-3000)).toBe(0);
  expect(demo.out()).toContain('stopped cleanly');
  expect(seen.filter((c) => alive(c.pid))).toEqual([]);
}

describe('atalaya demo (npm start)', () => {
  it('brings up the bench, prints working URLs, plays the scenario, anchors, and stops cleanly', async () => {
    const demo = startDemo(['--duration', '40']);
    const p = await printed(demo);
    children = childrenOf(demo.child.pid!);
    expect(children.map((c) => c.comm)).toContain('anvil');
    // socat is one of the suite's system tools (bin/system-deps.mjs), so the demo has its RTU line.
    expect(children.map((c) => c.comm)).toContain('socat');

    // The agent's status page answers with the printed token, and only with it.
    const overview = await getJson(`${p.status}/api/overview`, p.statusToken);
    expect(overview.status).toBe(200);
    expect(overview.body['gateway']).toMatchObject({ id: 'demo-gw' });
    expect((await getJson(`${p.status}/api/overview`, 'ats_wrong')).status).toBe(401);
    expect((await fetch(`${p.status}/metrics`, { headers: { authorization: `Bearer ${p.statusToken}` } })).status).toBe(200);

    // The relay's dashboard page and its APIs with the operator token.
    const page = await fetch(p.dashboard);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${p.relay}/metrics`, { headers: { authorization: `Bearer ${p.operatorToken}` } })).status).toBe(200);
    const gateway = await waitFor(
      async () => {
        const g = ((await getJson(`${p.relay}/v1/gateways`, p.operatorToken)).body['gateways'] as Array<{ id: string; records: number }>)[0];
        return g !== undefined && g.records > 0 ? g : undefined;
      },
      'records at the relay',
      20_000,
      250,
    );
    expect(gateway.id).toBe('demo-gw');
    // The DGA double serves its API (GET without a receipt is refused, but answered).
    expect((await fetch(`${p.dga}/mediciones/subterraneas`)).status).toBeLessThan(500);

    // The scenario: the leak raises the gas detector's alarm, the outage's backlog reaches the relay.
    await waitFor(() => demo.out().includes('] gas leak at gas-tcp'), 'the gas leak step', 20_000, 100);
    await waitFor(
      async () => {
        const active = (await getJson(`${p.status}/api/alarms`, p.statusToken)).body['active'] as Array<{ device: string; channel: string }>;
        return active.some((a) => a.device === 'gas-tcp' && a.channel === 'ch4');
      },
      'the gas-tcp ch4 alarm on the status page',
      30_000,
      250,
    );
    await waitFor(() => demo.out().includes('] network outage'), 'the outage step', 30_000, 100);
    await waitFor(() => demo.out().includes('] backlog delivered'), 'the backlog delivered after the outage', 30_000, 100);

    // Alerts (issue 13 §8): the leak's alarm reaches the group by email and by signed webhook, once each.
    const leak = (m: Caught): boolean => (m.subject ?? m.text).includes('ALARM gas-tcp/ch4 high2 on demo-gw');
    const leakMessages = await waitFor(
      async () => {
        const found = (await caught(p)).filter(leak);
        return found.some((m) => m.channel === 'email') && found.some((m) => m.channel === 'webhook') ? found : undefined;
      },
      'the gas alarm by email and webhook',
      30_000,
      250,
    );
    expect(
      leakMessages
        .filter((m) => !(m.subject ?? m.text).includes('[resolved]'))
        .map((m) => m.channel)
        .sort(),
    ).toEqual(['email', 'webhook']);
    expect(leakMessages.find((m) => m.channel === 'webhook')?.signature).toBe('ok');
    expect(leakMessages.every((m) => !m.duplicate)).toBe(true);
    // The outage: a "gateway silent" alert opened, and closed when the gateway came back, both told.
    const silent = await waitFor(
      async () => (await alertsOf(p)).find((a) => a.kind === 'gateway_silent' && a.state === 'closed'),
      'a silent alert opened and closed',
      30_000,
      250,
    );
    expect(silent.id).toMatch(/^silent:demo-gw:\d+$/);
    await waitFor(
      async () => ((await caught(p)).filter((m) => m.channel === 'webhook' && m.text.includes('Gateway demo-gw silent')).length >= 2 ? true : undefined),
      'the silence and its recovery at the webhook',
      30_000,
      250,
    );
    // The ack link of the leak's email: GET shows the alert and changes nothing, POST acknowledges.
    const email = leakMessages.find((m) => m.channel === 'email')!;
    const link = ackLink(email.raw);
    expect(link, email.raw.slice(0, 3000)).toBeDefined();
    expect(new URL(link!).origin).toBe(p.relay);
    const shown = await fetch(link!);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('high2');
    const alarmId = (await alertsOf(p)).find((a) => a.kind === 'alarm' && a.id.includes(':gas-tcp:ch4:high2:'))!.id;
    expect((await alertsOf(p)).find((a) => a.id === alarmId)?.ackedAt).toBeNull();
    const posted = await fetch(`${p.relay}/v1/alerts/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ t: new URL(link!).searchParams.get('t')! }).toString(),
    });
    expect(posted.status).toBe(200);
    const acked = (await alertsOf(p)).find((a) => a.id === alarmId)!;
    expect(acked.ackedAt).not.toBeNull();
    expect(acked.ackedBy).toMatch(/^link:guardia\/turno$/);

    // An anchor batch confirmed on anvil.
    const confirmed = await waitFor(async () => (await batches(p)).find((b) => b.status === 'confirmed'), 'a confirmed anchor batch', 30_000, 500);
    expect(confirmed.size).toBeGreaterThan(0);

    // The compact summary goes on, MQTT telemetry included.
    expect(demo.out()).toMatch(/last seq [1-9]\d*/);
    expect(demo.out()).toMatch(/sync: \w+, [1-9]\d* sent/);
    expect(demo.out()).toMatch(/gaslyt-01 +ch4=/);
    expect(demo.out()).toMatch(/gaslyt-GL-0042 +ch4=/);
    expect(demo.out()).toMatch(/relay: anchor batches #\d+ /);
    expect(demo.out()).toMatch(/alerts .*closed; messages \d+ sent/);
    expect(demo.out()).toMatch(/notify: email +#\d+ to guardia@example\.cl: \[ALARM\]/);

    // The LoRaWAN flowmeter reports through the TTS simulator into the relay's source, whose
    // virtual gateway feeds the second obra (issue 17).
    expect(demo.out()).toMatch(/lorawan \(tts sim\) +a flowmeter posting .*→ src-lora, obra OB-0602-8/);
    expect(demo.out()).toMatch(/lorawan: caudalimetro-lora → src-lora\/pozo-lora: [1-9]\d* uplinks/);
    const lora = (await getJson(`${p.relay}/v1/readings?gateway=src-lora&channel=flow&limit=5`, p.operatorToken)).body['items'] as Array<{ unit: string }>;
    expect(lora.length).toBeGreaterThan(0);
    expect(lora[0]?.unit).toBe('L/s');
    const obras = (await getJson(`${p.relay}/v1/dga`, p.operatorToken)).body['obras'] as Array<{ obra: string }>;
    expect(obras.map((o) => o.obra)).toContain('OB-0602-8');

    await expectCleanStop(demo, children);
  }, 150_000);

  it('a second run continues on the same chain and contract, and Ctrl-C stops it cleanly', async () => {
    const first = readFileSync(path.join(data, 'chain-contract.json'), 'utf8');
    const demo = startDemo([]);
    const p = await printed(demo);
    children = childrenOf(demo.child.pid!);
    expect(JSON.parse(first)).toMatchObject({ contract: p.contract });
    expect(demo.out()).not.toContain('deployed now');
    const before = Math.max(...(await batches(p)).map((b) => b.id));
    expect(before).toBeGreaterThan(0);
    // Anchoring goes on where it stopped: a later batch, confirmed on the chain that was kept.
    await waitFor(async () => (await batches(p)).some((b) => b.id > before && b.status === 'confirmed'), 'a new confirmed batch', 40_000, 500);

    demo.child.kill('SIGINT');
    await expectCleanStop(demo, children);
  }, 150_000);
});
