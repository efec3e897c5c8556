import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SYSTEM_NOTIFY_FAILED, SystemError } from '../../agent/system/errors.ts';
import { type NotifySettings, notifySettings, ServiceNotifier } from '../../agent/system/notify.ts';
import type { NotifySender } from '../../agent/system/notify-send.ts';

describe('notifySettings (sd_notify(3), sd_watchdog_enabled(3))', () => {
  it('is undefined without NOTIFY_SOCKET, whatever the watchdog variables say', () => {
    expect(notifySettings({}, 42)).toBeUndefined();
    expect(notifySettings({ NOTIFY_SOCKET: '', WATCHDOG_USEC: '1000000' }, 42)).toBeUndefined();
  });

  it('keeps the socket as given, abstract @ names included', () => {
    expect(notifySettings({ NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify/123' }, 42)).toEqual({
      socket: '@/org/freedesktop/systemd1/notify/123',
      watchdogIntervalMs: undefined,
    });
  });

  it('pings at half the watchdog timeout', () => {
    expect(notifySettings({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' }, 42)?.watchdogIntervalMs).toBe(15_000);
    expect(notifySettings({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)?.watchdogIntervalMs).toBe(15_000);
    expect(notifySettings({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '1' }, 42)?.watchdogIntervalMs).toBe(1);
  });

  it('has no watchdog when WATCHDOG_PID names another process (a child inherited the variables)', () => {
    expect(notifySettings({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42)?.watchdogIntervalMs).toBeUndefined();
  });

  it('has no watchdog when WATCHDOG_USEC is not a positive integer', () => {
    for (const usec of ['0', '-5', '1e6', 'abc', ''])
      expect(notifySettings({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: usec }, 42)?.watchdogIntervalMs).toBeUndefined();
  });

  it('caps the period at the longest timer Node runs as asked', () => {
    expect(notifySettings({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: String(10 ** 13) }, 42)?.watchdogIntervalMs).toBe(2 ** 31 - 1);
  });
});

describe('ServiceNotifier', () => {
  const settings: NotifySettings = { socket: '/run/systemd/notify', watchdogIntervalMs: 1000 };
  let sent: string[][];
  let lines: Array<{ level: number; msg: string }>;
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
  const record: NotifySender = async (assignments) => {
    sent.push([...assignments]);
  };

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    lines = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends READY=1 with a one-line status and the main PID', async () => {
    const n = new ServiceNotifier({ settings, pid: 42, logger, send: record });
    await n.ready('polling 3 devices\nsecond line');
    expect(sent).toEqual([['READY=1', 'STATUS=polling 3 devices second line', 'MAINPID=42']]);
  });

  it('pings WATCHDOG=1 every period from start() until stop(), and STOPPING=1 does not end the pings', async () => {
    const n = new ServiceNotifier({ settings, pid: 42, logger, send: record });
    n.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(2001);
    expect(sent).toEqual([['WATCHDOG=1'], ['WATCHDOG=1'], ['WATCHDOG=1']]);
    await n.stopping();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.slice(3)).toEqual([['STOPPING=1', 'STATUS=stopping'], ['WATCHDOG=1']]);
    n.stop();
    n.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(5);
  });

  it('does not ping when systemd set no watchdog', async () => {
    const n = new ServiceNotifier({ settings: { ...settings, watchdogIntervalMs: undefined }, pid: 42, logger, send: record });
    n.start();
    await vi.advanceTimersByTimeAsync(60_000);
    await n.status('all good');
    expect(sent).toEqual([['STATUS=all good']]);
  });

  it('does nothing at all when not started by systemd', async () => {
    const n = new ServiceNotifier({ settings: undefined, pid: 42, logger, send: record });
    n.start();
    await n.ready('x');
    await n.stopping();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toEqual([]);
  });

  it('skips a ping while the previous one has not been delivered', async () => {
    const pending: Array<() => void> = [];
    const slow: NotifySender = (assignments) => {
      sent.push([...assignments]);
      return new Promise<void>((resolve) => pending.push(resolve));
    };
    const n = new ServiceNotifier({ settings, pid: 42, logger, send: slow });
    n.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(sent).toHaveLength(1);
    pending.shift()!();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
    n.stop();
  });

  it('never throws when a message cannot be sent, and logs a run of failures once', async () => {
    let fail = true;
    const flaky: NotifySender = async (assignments) => {
      sent.push([...assignments]);
      if (fail) throw new SystemError(SYSTEM_NOTIFY_FAILED, 'could not run systemd-notify');
    };
    const n = new ServiceNotifier({ settings, pid: 42, logger, send: flaky });
    n.start();
    await expect(n.ready('x')).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(3000);
    expect(sent).toHaveLength(4);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    fail = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(2);
    n.stop();
  });
});
