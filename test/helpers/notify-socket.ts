/**
 * A stand-in for systemd's notify socket: an AF_UNIX datagram socket (which Node cannot open)
 * bound by a small python3 process that prints every datagram it reads as a JSON line.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { waitFor } from './wait.ts';

const RECEIVER = `
import json, socket, sys
address = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + address[1:] if address.startswith('@') else address)
print(json.dumps({'bound': True}), flush=True)
while True:
    # recv() without ancillary space drops the fd of systemd-notify's BARRIER=1, which releases it.
    print(json.dumps({'message': s.recv(65536).decode('utf-8', 'replace')}), flush=True)
`;

export class NotifySocket {
  /** Every datagram received, in order, split into its `VARIABLE=value` lines. */
  readonly messages: string[][] = [];
  private bound = false;
  private markers = 0;

  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
  ) {}

  /** Binds `address`: a file path, or `@name` in the abstract namespace (as $NOTIFY_SOCKET). */
  static async open(address: string): Promise<NotifySocket> {
    const child = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    const socket = new NotifySocket(address, child);
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const parsed = JSON.parse(line) as { bound?: true; message?: string };
        if (parsed.bound === true) socket.bound = true;
        if (parsed.message !== undefined) socket.messages.push(parsed.message.split('\n'));
      }
    });
    try {
      await waitFor(() => socket.bound || child.exitCode !== null, 'notify socket bound');
      if (!socket.bound) throw new Error(`python3 receiver exited (${child.exitCode}) before binding ${address}`);
      return socket;
    } catch (err) {
      await socket.close();
      throw err;
    }
  }

  /** Indexes of the messages that carry `assignment` (e.g. WATCHDOG=1), from index `from` on. */
  indexesOf(assignment: string, from = 0): number[] {
    const out: number[] = [];
    for (let i = from; i < this.messages.length; i++) if (this.messages[i]!.includes(assignment)) out.push(i);
    return out;
  }

  /**
   * Sends a marker of its own and waits until it is read: every datagram sent before it has been
   * read too (one socket, one reader, in order). Returns the marker's index.
   */
  async flush(): Promise<number> {
    const marker = `X_TEST_MARKER=${++this.markers}`;
    const r = spawnSync('systemd-notify', [marker], { env: { ...process.env, NOTIFY_SOCKET: this.address }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`systemd-notify ${marker}: ${r.error?.message ?? r.stderr}`);
    return waitFor(() => {
      const i = this.messages.findIndex((m) => m.includes(marker));
      return i >= 0 ? i : undefined;
    }, `marker ${marker} read`);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
