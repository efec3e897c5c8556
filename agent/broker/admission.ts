import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { FrameViolation, PacketLimits } from './frames.ts';
import { FrameGuard } from './frames.ts';

export interface AdmissionOptions {
  /** A connection not authenticated this long after it was accepted is closed, ms. */
  readonly connectTimeoutMs: number;
  /** Unauthenticated connections from one address; a new one closes that address's oldest. */
  readonly maxPendingPerAddress: number;
  /** Unauthenticated connections in all; a new one closes the oldest of the address holding most. */
  readonly maxPending: number;
  readonly limits: PacketLimits;
}

/** Why a connection was closed before it authenticated. */
export type PreAuthClose = 'connect_timeout' | 'pending_limit' | FrameViolation;
export const PRE_AUTH_CLOSES: readonly PreAuthClose[] = ['connect_timeout', 'pending_limit', 'oversized_packet', 'malformed_length'];

export function preAuthCloses(count: (reason: PreAuthClose) => number = () => 0): Record<PreAuthClose, number> {
  return Object.fromEntries(PRE_AUTH_CLOSES.map((r) => [r, count(r)])) as Record<PreAuthClose, number>;
}

interface Pending {
  readonly socket: net.Socket;
  readonly address: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * Connections from their first byte to their authentication (issue 19): the part of the broker an
 * unauthenticated peer can occupy. It is bounded on its own, apart from maxClients, so sockets
 * that never send CONNECT cannot lock authenticated devices out: per address and in all, the
 * oldest pending connection makes room for a new one, and none stays pending past the deadline.
 * Tracked on the raw TCP socket, so TLS handshakes and WebSocket upgrades that never finish count too.
 */
export class Admission {
  /** Insertion-ordered: the first entry of a set is its oldest. */
  private readonly pending = new Map<net.Socket, Pending>();
  private readonly byAddress = new Map<string, Set<Pending>>();
  private readonly guards = new WeakMap<Duplex, { guard: FrameGuard; socket: net.Socket; address: string }>();
  private readonly closes = new Map<PreAuthClose, number>();
  private intervalCloses = new Map<PreAuthClose, number>();

  constructor(private readonly options: AdmissionOptions) {}

  /** A raw socket was accepted by a listener. */
  readonly accept = (socket: net.Socket): void => {
    const address = socket.remoteAddress ?? '';
    const own = this.byAddress.get(address);
    if (own !== undefined && own.size >= this.options.maxPendingPerAddress) this.close(first(own), 'pending_limit');
    if (this.pending.size >= this.options.maxPending) {
      const busiest = this.busiestAddress();
      if (busiest !== undefined) this.close(first(busiest), 'pending_limit');
    }
    const entry: Pending = { socket, address, timer: setTimeout(() => this.close(entry, 'connect_timeout'), this.options.connectTimeoutMs) };
    this.pending.set(socket, entry);
    let set = this.byAddress.get(address);
    if (set === undefined) this.byAddress.set(address, (set = new Set()));
    set.add(entry);
    socket.once('close', () => this.forget(socket));
  };

  /** What aedes gets for a connection: its stream behind a FrameGuard. `socket` is the raw TCP socket under it. */
  wrap(stream: Duplex, socket: net.Socket): Duplex {
    const guard = new FrameGuard(stream, this.options.limits, (violation) => {
      this.count(violation);
      socket.destroy();
    });
    this.guards.set(guard, { guard, socket, address: socket.remoteAddress ?? '' });
    return guard;
  }

  /** Remote address of the connection on `stream` (what wrap() returned); '' when unknown. */
  addressOf(stream: Duplex): string {
    return this.guards.get(stream)?.address ?? '';
  }

  /** The client on `stream` (what wrap() returned) authenticated: no deadline, larger packets. */
  authenticated(stream: Duplex): void {
    const found = this.guards.get(stream);
    if (found === undefined) return;
    found.guard.markAuthenticated();
    this.forget(found.socket);
  }

  pendingCount(): number {
    return this.pending.size;
  }

  totals(): Record<PreAuthClose, number> {
    return preAuthCloses((r) => this.closes.get(r) ?? 0);
  }

  /** Closes since the previous call, or undefined when there were none (for the periodic log line). */
  takeInterval(): Partial<Record<PreAuthClose, number>> | undefined {
    if (this.intervalCloses.size === 0) return undefined;
    const out = Object.fromEntries(this.intervalCloses) as Partial<Record<PreAuthClose, number>>;
    this.intervalCloses = new Map();
    return out;
  }

  /** Closes every pending connection and clears the deadlines (broker stop). */
  stop(): void {
    for (const entry of [...this.pending.values()]) {
      this.forget(entry.socket);
      entry.socket.destroy();
    }
  }

  private close(entry: Pending, reason: PreAuthClose): void {
    this.forget(entry.socket);
    this.count(reason);
    entry.socket.destroy();
  }

  private forget(socket: net.Socket): void {
    const entry = this.pending.get(socket);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(socket);
    const set = this.byAddress.get(entry.address);
    set?.delete(entry);
    if (set?.size === 0) this.byAddress.delete(entry.address);
  }

  private count(reason: PreAuthClose): void {
    this.closes.set(reason, (this.closes.get(reason) ?? 0) + 1);
    this.intervalCloses.set(reason, (this.intervalCloses.get(reason) ?? 0) + 1);
  }

  private busiestAddress(): Set<Pending> | undefined {
    let best: Set<Pending> | undefined;
    for (const set of this.byAddress.values()) if (best === undefined || set.size > best.size) best = set;
    return best;
  }
}

function first(set: Set<Pending>): Pending {
  return set.values().next().value as Pending;
}
