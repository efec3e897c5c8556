/**
 * A serialport binding that reads and writes on the event loop's thread.
 *
 * The stock Unix binding passes every read and write through libuv's thread pool (fs.read and
 * fs.write on the port's descriptor), so each frame costs two extra thread hand-offs per direction:
 * about a millisecond per Modbus RTU poll on a busy machine, most of the gap between achieved polls
 * and the line's ceiling at 19200 baud (issue 18, docs/modbus.md#where-a-poll-spends-its-time).
 * The port is opened non-blocking by the stock binding (termios, lock, poller all reused), so a
 * read or write that cannot proceed fails at once with EAGAIN and waits for the poller instead:
 * nothing here ever blocks. Where the stock port object has no descriptor and poller (Windows),
 * it is used unchanged.
 */
import { readSync, writeSync } from 'node:fs';
import { SerialPort } from 'serialport';

/** serialport's binding types, taken from the `serialport` package itself (the one we depend on). */
type StockBinding = typeof SerialPort.binding;
type OpenOptions = Parameters<StockBinding['open']>[0];
type BindingPortInterface = Awaited<ReturnType<StockBinding['open']>>;
export interface SerialBinding {
  list: StockBinding['list'];
  open(options: OpenOptions): Promise<BindingPortInterface>;
}

/** The members of the stock Linux and macOS port objects used here. */
interface UnixPort {
  readonly fd: number | null;
  readonly poller: { once(event: 'readable' | 'writable', cb: (err: Error | null) => void): unknown };
  readonly openOptions: unknown;
  readonly isOpen: boolean;
  close(): Promise<void>;
  update(options: { baudRate: number }): Promise<void>;
  set(options: object): Promise<void>;
  get(): Promise<object>;
  getBaudRate(): Promise<{ baudRate: number }>;
  flush(): Promise<void>;
  drain(): Promise<void>;
}

const stock: SerialBinding = SerialPort.binding as SerialBinding;

function asUnixPort(port: BindingPortInterface): UnixPort | undefined {
  const p = port as unknown as Partial<UnixPort>;
  return typeof p.fd === 'number' && typeof p.poller?.once === 'function' ? (p as UnixPort) : undefined;
}

const retryable = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR';
};

/** serialport's contract: an operation cut short by close() fails with `canceled: true`. */
const canceled = (): Error => Object.assign(new Error('port closed'), { canceled: true });

/** A lost device (unplugged adapter, closed pty peer) must disconnect the stream, as the stock binding does. */
function markDisconnect(err: unknown): unknown {
  const e = err as { code?: unknown; errno?: unknown; disconnect?: boolean };
  if (e.code === 'EBADF' || e.code === 'ENXIO' || e.code === 'EIO' || e.code === 'UNKNOWN' || e.errno === -1) e.disconnect = true;
  return err;
}

/** Called on the event loop's thread right as bytes cross the descriptor, for line timing. */
export interface SerialHooks {
  /** Bytes were read (called after each read that returned data). */
  readonly onRead?: () => void;
  /** A write is about to be handed to the kernel. */
  readonly onWrite?: () => void;
}

class DirectPort {
  private readonly waiters = new Set<(err: Error | null) => void>();

  constructor(
    private readonly inner: UnixPort,
    private readonly hooks: SerialHooks,
  ) {}

  get openOptions(): unknown {
    return this.inner.openOptions;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  async close(): Promise<void> {
    const waiting = [...this.waiters];
    this.waiters.clear();
    await this.inner.close();
    for (const w of waiting) w(canceled());
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    for (;;) {
      const fd = this.inner.fd;
      if (fd === null) throw canceled();
      let bytesRead = 0;
      try {
        bytesRead = readSync(fd, buffer, offset, length, null);
      } catch (err) {
        if (!retryable(err)) throw markDisconnect(err);
      }
      if (bytesRead > 0) {
        this.hooks.onRead?.();
        return { buffer, bytesRead };
      }
      await this.when('readable');
    }
  }

  async write(buffer: Buffer): Promise<void> {
    this.hooks.onWrite?.();
    let offset = 0;
    while (offset < buffer.length) {
      const fd = this.inner.fd;
      if (fd === null) throw canceled();
      try {
        offset += writeSync(fd, buffer, offset, buffer.length - offset);
        continue;
      } catch (err) {
        if (!retryable(err)) throw markDisconnect(err);
      }
      await this.when('writable');
    }
  }

  private when(event: 'readable' | 'writable'): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | null): void => {
        if (!this.waiters.delete(done)) return;
        if (err) reject(markDisconnect(err));
        else resolve();
      };
      this.waiters.add(done);
      this.inner.poller.once(event, done);
    });
  }

  update(options: { baudRate: number }): Promise<void> {
    return this.inner.update(options);
  }

  set(options: object): Promise<void> {
    return this.inner.set(options);
  }

  get(): Promise<object> {
    return this.inner.get();
  }

  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  /** Writes complete synchronously above, so only the kernel's output queue is left to drain. */
  drain(): Promise<void> {
    return this.inner.drain();
  }
}

/**
 * Pass as `binding` to serialport's `SerialPort`. `hooks` see each read and write of the ports it
 * opens (not called where the stock port is used unchanged).
 */
export function createDirectSerialBinding(hooks: SerialHooks = {}): SerialBinding {
  return {
    list: () => stock.list(),
    async open(options) {
      const port = await stock.open(options);
      const unix = asUnixPort(port);
      return unix === undefined ? port : (new DirectPort(unix, hooks) as unknown as BindingPortInterface);
    },
  };
}

export const directSerialBinding: SerialBinding = createDirectSerialBinding();
