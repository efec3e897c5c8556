import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_NOTIFY_FAILED } from '../../agent/system/errors.ts';
import { systemdNotifySender } from '../../agent/system/notify-send.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { NotifySocket } from '../helpers/notify-socket.ts';
import { waitFor } from '../helpers/wait.ts';

describe('systemdNotifySender: the systemd-notify command against a real unix datagram socket', () => {
  let dir: string;
  const sockets: NotifySocket[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-notify-send-'));
  });
  afterAll(async () => {
    for (const s of sockets) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ['a path', 'an abstract @ name'] as const) {
    it(`delivers one datagram per message to ${kind}`, async () => {
      const address = kind === 'a path' ? path.join(dir, 'notify.sock') : `@atalaya-test-${process.pid}-${Date.now()}`;
      const socket = await NotifySocket.open(address);
      sockets.push(socket);
      const send = systemdNotifySender(address);
      await send(['READY=1', 'STATUS=polling 2 devices', 'MAINPID=1234']);
      await send(['WATCHDOG=1']);
      // Each send resolved once the receiver had read it (systemd-notify's BARRIER=1 follows the
      // message); what remains is our reading of the receiver's output.
      const ours = (): string[][] => socket.messages.filter((m) => !m.includes('BARRIER=1'));
      await waitFor(() => ours().length >= 2, 'messages printed');
      expect(ours()).toEqual([['READY=1', 'STATUS=polling 2 devices', 'MAINPID=1234'], ['WATCHDOG=1']]);
    });
  }

  it('rejects with ATALAYA_SYSTEM_NOTIFY_FAILED when nobody listens on the socket', async () => {
    const err: unknown = await systemdNotifySender(path.join(dir, 'nobody.sock'))(['WATCHDOG=1']).catch((e: unknown) => e);
    expect(isAtalayaError(err, SYSTEM_NOTIFY_FAILED)).toBe(true);
    expect((err as { details?: { exitCode?: number } }).details?.exitCode).not.toBe(0);
  });

  it('rejects with ATALAYA_SYSTEM_NOTIFY_FAILED when the command is missing', async () => {
    const err: unknown = await systemdNotifySender(path.join(dir, 'notify.sock'), 'atalaya-no-such-command')(['WATCHDOG=1']).catch((e: unknown) => e);
    expect(isAtalayaError(err, SYSTEM_NOTIFY_FAILED)).toBe(true);
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
