import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Admission } from '../../agent/broker/admission.ts';
import { packetLimits } from '../../agent/broker/frames.ts';

/** Enough of a net.Socket for the admission: an address, destroy() and 'close'. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string) {
    super();
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
}

const sock = (address: string): net.Socket => new FakeSocket(address) as unknown as net.Socket;
const admission = (over: Partial<ConstructorParameters<typeof Admission>[0]> = {}): Admission =>
  new Admission({ connectTimeoutMs: 5000, maxPendingPerAddress: 3, maxPending: 5, limits: packetLimits(1024), ...over });

afterEach(() => vi.useRealTimers());

describe('MQTT admission before authentication', () => {
  it('closes the oldest pending connection of an address over its limit', () => {
    const a = admission();
    const s = [1, 2, 3, 4].map(() => sock('10.0.0.1'));
    for (const x of s) a.accept(x);
    expect(s.map((x) => x.destroyed)).toEqual([true, false, false, false]);
    expect(a.pendingCount()).toBe(3);
    expect(a.totals().pending_limit).toBe(1);
    a.stop();
  });

  it('over the total, closes the oldest of the address holding most, not a lone newcomer', () => {
    const a = admission();
    const crowd = [1, 2, 3].map(() => sock('10.0.0.1'));
    const others = [sock('10.0.0.2'), sock('10.0.0.3')];
    for (const x of [...crowd, ...others]) a.accept(x);
    const device = sock('10.0.0.4');
    a.accept(device);
    expect(crowd[0]!.destroyed).toBe(true);
    expect([...others, device].some((x) => x.destroyed)).toBe(false);
    a.stop();
  });

  it('closes what is still pending at the deadline, never an authenticated connection', () => {
    vi.useFakeTimers();
    const a = admission();
    const idle = sock('10.0.0.1');
    const device = sock('10.0.0.2');
    a.accept(idle);
    a.accept(device);
    const stream = a.wrap(new PassThrough(), device);
    a.authenticated(stream);
    expect(a.addressOf(stream)).toBe('10.0.0.2');
    vi.advanceTimersByTime(5000);
    expect(idle.destroyed).toBe(true);
    expect(device.destroyed).toBe(false);
    expect(a.totals().connect_timeout).toBe(1);
    expect(a.takeInterval()).toEqual({ connect_timeout: 1 });
    expect(a.takeInterval()).toBeUndefined();
    expect(a.pendingCount()).toBe(0);
  });
});
