import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { writeAgentConfig } from '../helpers/agent-process.ts';
import { testLogger } from '../helpers/logger.ts';
import { NotifySocket } from '../helpers/notify-socket.ts';
import { AtalayaProcess, cleanEnv } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';

/** WatchdogSec=400ms: the agent pings every 200 ms. */
const WATCHDOG_USEC = 400_000;
const PING_MS = WATCHDOG_USEC / 2000;

interface ProcStat {
  readonly comm: string;
  /** R running, S sleeping, T stopped, Z zombie, … */
  readonly state: string;
  readonly ppid: number;
}

/** /proc/<pid>/stat; undefined when the process is gone. */
function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** The systemd-notify processes `pid` started that have not exited yet (zombies have exited). */
function notifyChildrenRunning(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^[0-9]+$/.test(name))
    .map(Number)
    .filter((p) => {
      const s = procStat(p);
      return s !== undefined && s.ppid === pid && s.comm === 'systemd-notify' && s.state !== 'Z';
    });
}

describe('agent under systemd Type=notify with a watchdog (a notify socket of our own)', () => {
  let dir: string;
  let sim: ModbusSimulator;
  let socket: NotifySocket;
  let agent: AtalayaProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-notify-'));
    sim = new ModbusSimulator({
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady' }],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
    });
    await sim.start();
    socket = await NotifySocket.open(path.join(dir, 'notify.sock'));
  });

  afterAll(async () => {
    if (agent?.running) {
      agent.child.kill('SIGCONT');
      await agent.kill();
    }
    await socket?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1, then WATCHDOG=1 while its loop runs, none while it is stopped, and STOPPING=1 on SIGTERM', async () => {
    const config = writeAgentConfig(path.join(dir, 'agent.yaml'), {
      gateway: { id: 'gw-notify' },
      buffer: { path: path.join(dir, 'buffer.db') },
      mqtt: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
      status: { host: '127.0.0.1', port: 0 },
      devices: [{ id: 'gas', profile: 'gas-detector', tcp: { host: '127.0.0.1', port: sim.tcpPort }, unitId: 1, intervalMs: 200 }],
    });
    const env = cleanEnv({ NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: String(WATCHDOG_USEC) });
    delete env['WATCHDOG_PID'];
    agent = new AtalayaProcess(['agent', '-c', config], env);
    const pid = agent.child.pid!;

    const ready = await waitFor(() => socket.indexesOf('READY=1')[0], `READY=1; agent log:\n${agent.tail()}`, 30_000);
    expect(socket.messages[ready]).toEqual(expect.arrayContaining([`MAINPID=${pid}`, 'STATUS=polling 1 devices']));
    await waitFor(() => socket.indexesOf('WATCHDOG=1', ready).length >= 3, 'three WATCHDOG=1 after READY=1');

    // A stopped process is the extreme of a blocked event loop: nothing of it runs.
    process.kill(pid, 'SIGSTOP');
    await waitFor(() => procStat(pid)?.state === 'T', 'agent stopped');
    // A systemd-notify spawned just before the stop still delivers; it is done once it is a zombie
    // (its stopped parent cannot reap it), and flush() makes sure its datagram has been read.
    await waitFor(() => notifyChildrenRunning(pid).length === 0, 'pings in flight delivered');
    const stoppedAt = await socket.flush();
    // Observing silence takes time: five ping periods, in which a running agent pings five times.
    await delay(5 * PING_MS);
    const silentUntil = await socket.flush();
    expect(socket.indexesOf('WATCHDOG=1', stoppedAt).filter((i) => i < silentUntil)).toEqual([]);

    process.kill(pid, 'SIGCONT');
    await waitFor(() => socket.indexesOf('WATCHDOG=1', silentUntil).length >= 2, 'WATCHDOG=1 again after SIGCONT');

    const exit = await agent.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    const stopping = socket.indexesOf('STOPPING=1');
    expect(stopping).toHaveLength(1);
    expect(stopping[0]).toBeGreaterThan(silentUntil);
  });
});
