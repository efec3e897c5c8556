import { spawn } from 'node:child_process';
import { SYSTEM_NOTIFY_FAILED, SystemError } from './errors.ts';

/** Delivers one notification (sd_notify(3) `VARIABLE=value` assignments) to the service manager. */
export type NotifySender = (assignments: readonly string[]) => Promise<void>;

/** stderr kept from a failed `systemd-notify`, for the error's details. */
const STDERR_LIMIT = 2048;

/**
 * Sends through the `systemd-notify` command (package systemd, on every systemd machine).
 *
 * Why a command and not a socket: $NOTIFY_SOCKET is an AF_UNIX datagram socket (often an
 * abstract `@` name) and Node has no unix datagram sockets; the npm bindings that add them
 * (`sd-notify`, `unix-dgram`, `sd-daemon`) are native addons with no prebuilt binaries, so they
 * need a compiler on the Pi, which a gateway does not have (`systemd-notify` on npm only spawns
 * this same command). The cost is the sender's PID: the datagram comes from the short-lived
 * `systemd-notify` process, not the agent, so the unit needs `NotifyAccess=all`, and systemd
 * must still see that process to map it to the unit. systemd-notify (systemd ≥ 246) waits for
 * that (it sends BARRIER=1 and waits until the manager has read the message, sd_notify_barrier(3)),
 * which closes the race older versions had; `--no-block` would reopen it, so it is never passed.
 */
export function systemdNotifySender(socket: string, command = 'systemd-notify', path = process.env['PATH']): NotifySender {
  return (assignments) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(command, [...assignments], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { NOTIFY_SOCKET: socket, PATH: path ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < STDERR_LIMIT) stderr += d.toString();
      });
      child.once('error', (err) => reject(new SystemError(SYSTEM_NOTIFY_FAILED, `could not run ${command}`, { cause: err })));
      child.once('close', (exitCode, signal) => {
        if (exitCode === 0) resolve();
        else
          reject(new SystemError(SYSTEM_NOTIFY_FAILED, `${command} failed`, { details: { exitCode, signal, stderr: stderr.slice(0, STDERR_LIMIT).trim() } }));
      });
    });
}
