import type { Logger } from 'pino';
import { type NotifySender, systemdNotifySender } from './notify-send.ts';

/** What systemd asked of this process through its environment. */
export interface NotifySettings {
  /** $NOTIFY_SOCKET: a path, or `@name` in the abstract namespace. */
  readonly socket: string;
  /** Period of WATCHDOG=1 in ms (half of $WATCHDOG_USEC); undefined: no watchdog configured. */
  readonly watchdogIntervalMs: number | undefined;
}

/** Longest period setInterval honours (2^31 - 1 ms); longer ones fire after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID the way libsystemd does
 * (sd_notify(3), sd_watchdog_enabled(3)): no socket, no notifications; a watchdog only when
 * WATCHDOG_USEC is a positive integer and WATCHDOG_PID, when set, is this process. Pinging at half
 * the timeout is what sd_watchdog_enabled(3) recommends.
 */
export function notifySettings(env: NodeJS.ProcessEnv, pid: number): NotifySettings | undefined {
  const socket = env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '') return undefined;
  const usec = env['WATCHDOG_USEC'];
  const watchdogPid = env['WATCHDOG_PID'];
  const forUs = watchdogPid === undefined || watchdogPid === '' || watchdogPid === String(pid);
  const timeoutUs = usec !== undefined && /^[0-9]+$/.test(usec) ? Number(usec) : 0;
  const watchdogIntervalMs = forUs && timeoutUs > 0 ? Math.min(MAX_TIMER_MS, Math.max(1, Math.floor(timeoutUs / 2000))) : undefined;
  return { socket, watchdogIntervalMs };
}

export interface ServiceNotifierOptions {
  /** From notifySettings(); undefined (not started by systemd): every method does nothing. */
  readonly settings: NotifySettings | undefined;
  readonly pid: number;
  readonly logger: Logger;
  /** How a message is delivered; default: the systemd-notify command (notify-send.ts says why). */
  readonly send?: NotifySender;
}

/**
 * The agent's side of `Type=notify` with `WatchdogSec=` (deploy/pi/atalaya-agent.service):
 * READY=1 once started, WATCHDOG=1 from a timer on the main event loop, so a loop that is blocked
 * or a process that is stopped stops the pings and systemd restarts the service; STOPPING=1 when
 * asked to stop. Failures to notify are logged, never thrown: the agent's job is polling.
 * Messages go through the systemd-notify command, because Node has no unix datagram sockets and
 * the npm bindings for them are native addons that need a compiler on the Pi (notify-send.ts).
 */
export class ServiceNotifier {
  private readonly send: NotifySender | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pinging = false;
  private failing = false;

  constructor(private readonly options: ServiceNotifierOptions) {
    this.send = options.settings === undefined ? undefined : (options.send ?? systemdNotifySender(options.settings.socket));
  }

  /** Starts the watchdog pings (when systemd configured one). Call before the agent starts, so a slow start is not taken for a hang. */
  start(): void {
    const interval = this.options.settings?.watchdogIntervalMs;
    if (interval === undefined || this.timer !== undefined) return;
    this.timer = setInterval(() => this.ping(), interval);
    // The agent's own work keeps the process alive; the watchdog alone must not.
    this.timer.unref();
    this.options.logger.debug({ intervalMs: interval }, 'systemd watchdog pings started');
  }

  /** READY=1 with a status line; MAINPID tells systemd which process this is, wherever the message came from. */
  ready(status: string): Promise<void> {
    return this.notify(['READY=1', `STATUS=${oneLine(status)}`, `MAINPID=${this.options.pid}`]);
  }

  /** STATUS= for `systemctl status`. */
  status(text: string): Promise<void> {
    return this.notify([`STATUS=${oneLine(text)}`]);
  }

  /**
   * STOPPING=1. The pings go on until stop(): systemd keeps the watchdog armed while a service
   * stops, and TimeoutStopSec= bounds the stop.
   */
  stopping(status = 'stopping'): Promise<void> {
    return this.notify(['STOPPING=1', `STATUS=${oneLine(status)}`]);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private ping(): void {
    // One at a time: if the manager is slow to read (the barrier waits), skipping a ping is the truth.
    if (this.pinging) return;
    this.pinging = true;
    void this.notify(['WATCHDOG=1']).finally(() => {
      this.pinging = false;
    });
  }

  private async notify(assignments: readonly string[]): Promise<void> {
    if (this.send === undefined) return;
    try {
      await this.send(assignments);
      if (this.failing) this.options.logger.info('notifying systemd again');
      this.failing = false;
    } catch (err) {
      // Logged once per run of failures: a missing systemd-notify would otherwise log every ping.
      if (!this.failing) this.options.logger.warn({ err }, 'could not notify systemd');
      this.failing = true;
    }
  }
}

/** sd_notify messages are newline-separated assignments: a newline in a value would start another. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
