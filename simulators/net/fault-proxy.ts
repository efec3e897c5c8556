import net from 'node:net';
import { proxyNotListening } from './errors.ts';

/**
 * pass: forward both ways. stall: accept, forward nothing, hold the sockets (a black-holed
 * route; what was held is forwarded once the mode is pass or drop again, if the peer is still
 * there). drop: forward, but cut each connection (both sides destroyed) after a random number of
 * bytes, so a request can die half sent or its answer half received. cut: a dead uplink: every
 * live connection is destroyed and new ones are closed on accept (the client sees a reset).
 */
export type ProxyMode = 'pass' | 'stall' | 'drop' | 'cut';

export interface FaultProxyOptions {
  /** Port on 127.0.0.1 that connections go to; undefined: every new connection is closed at once. */
  readonly target?: number;
  /** Random source for the drop budget, [0, 1); default Math.random (pass a seeded one for a repeatable run). */
  readonly random?: () => number;
  /** drop: the most bytes (both directions together) a connection carries before it is cut, ≥ 1; default 4096. */
  readonly maxDropBytes?: number;
}

export interface ProxyStats {
  /** Connections accepted. */
  connections: number;
  /** Connections cut in drop mode. */
  dropped: number;
  /** Connections that had data held in stall mode. */
  stalled: number;
  /** Connections closed at once: no target, the target refused, or the link cut. */
  refused: number;
}

type Direction = 'up' | 'down';

/** One accepted connection and its upstream, opened when the first byte has to go there. */
class Pair {
  upstream: net.Socket | undefined;
  /** Chunks not yet written, per direction: held by stall, or waiting for the upstream connect. */
  readonly held: Record<Direction, Buffer[]> = { up: [], down: [] };
  budget: number | undefined;
  stalled = false;
  closed = false;
  private connected = false;

  constructor(
    readonly client: net.Socket,
    private readonly proxy: FaultProxy,
  ) {}

  receive(dir: Direction, chunk: Buffer): void {
    if (this.closed) return;
    this.held[dir].push(chunk);
    this.flush();
  }

  /** Writes what is held, as far as the current mode lets it. */
  flush(): void {
    if (this.closed || this.proxy.mode === 'stall') {
      if (!this.closed && !this.stalled && (this.held.up.length > 0 || this.held.down.length > 0)) {
        this.stalled = true;
        this.proxy.stats.stalled++;
      }
      return;
    }
    if (this.held.up.length > 0 && !this.connected) {
      this.connect();
      return; // flushed again on connect
    }
    for (const dir of ['up', 'down'] as const) {
      const dest = dir === 'up' ? this.upstream : this.client;
      while (dest !== undefined && this.held[dir].length > 0 && !this.closed) this.write(dest, this.held[dir].shift()!);
    }
  }

  private write(dest: net.Socket, chunk: Buffer): void {
    if (this.proxy.mode === 'drop' && this.budget === undefined) this.budget = 1 + Math.floor(this.proxy.random() * this.proxy.maxDropBytes);
    if (this.budget === undefined || chunk.length < this.budget) {
      if (this.budget !== undefined) this.budget -= chunk.length;
      dest.write(chunk);
      return;
    }
    // The cut: the first `budget` bytes go out, then both sides are destroyed.
    this.proxy.stats.dropped++;
    const part = chunk.subarray(0, this.budget);
    this.closed = true;
    dest.write(part, () => this.destroy());
    setTimeout(() => this.destroy(), 50).unref(); // the write callback may never come on a dying socket
  }

  private connect(): void {
    if (this.upstream !== undefined) return;
    const target = this.proxy.target;
    if (target === undefined) {
      this.proxy.stats.refused++;
      this.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    this.upstream = upstream;
    upstream.on('connect', () => {
      this.connected = true;
      this.flush();
    });
    upstream.on('data', (chunk: Buffer) => this.receive('down', chunk));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.connected && err.code === 'ECONNREFUSED') this.proxy.stats.refused++;
      this.destroy();
    });
    upstream.on('end', () => this.client.end());
    upstream.on('close', () => this.destroy());
  }

  destroy(): void {
    this.closed = true;
    this.client.destroy();
    this.upstream?.destroy();
    this.proxy.forget(this);
  }
}

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of a server whose port may change (a relay restarted
 * on a new port), with faults switched at run time: the network between agent and relay in the
 * demo (`atalaya demo` cuts it) and in the fault tests. The mode applies to every live connection
 * too: HTTP clients keep connections alive, so a fault that only hit new connections would miss
 * most requests.
 */
export class FaultProxy {
  mode: ProxyMode = 'pass';
  target: number | undefined;
  readonly random: () => number;
  readonly maxDropBytes: number;
  readonly stats: ProxyStats = { connections: 0, dropped: 0, stalled: 0, refused: 0 };
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();

  constructor(options: FaultProxyOptions = {}) {
    this.target = options.target;
    this.random = options.random ?? Math.random;
    this.maxDropBytes = options.maxDropBytes ?? 4096;
    this.server = net.createServer((client) => this.accept(client));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw proxyNotListening();
    return address.port;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const pair of [...this.pairs]) {
      if (mode === 'cut') pair.destroy();
      else pair.flush();
    }
  }

  /** New connections go to `port`; undefined: new connections are closed at once. Live ones are left alone. */
  setTarget(port: number | undefined): void {
    this.target = port;
  }

  /** Closes the listener and every connection. Safe to call twice. */
  async stop(): Promise<void> {
    for (const pair of [...this.pairs]) pair.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  forget(pair: Pair): void {
    this.pairs.delete(pair);
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    const pair = new Pair(client, this);
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => pair.receive('up', chunk));
    client.on('error', () => pair.destroy());
    client.on('end', () => pair.upstream?.end());
    client.on('close', () => pair.destroy());
    if (this.target === undefined || this.mode === 'cut') {
      this.stats.refused++;
      pair.destroy();
    }
  }
}
