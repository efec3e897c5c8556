import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../agent/status/events.ts';
import { testLogger } from '../helpers/logger.ts';

/** The parts of a ServerResponse the hub uses; `writableLength` is what the socket has not taken yet. */
class FakeResponse extends EventEmitter {
  written = '';
  writableLength = 0;
  destroyed = false;
  writableEnded = false;
  write(text: string): boolean {
    this.written += text;
    return true;
  }
  end(): void {
    this.writableEnded = true;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function hub(overview: () => Promise<unknown> = async () => ({ n: 1 })) {
  return new EventHub({ overview, overviewMs: 2000, pingMs: 15_000, maxBufferedBytes: 1000, logger: testLogger() });
}

const res = () => new FakeResponse();
const asRes = (r: FakeResponse) => r as unknown as ServerResponse;

describe('SSE hub', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('frames events, sends overview every 2 s and a ping every 15 s while a client is connected', async () => {
    vi.useFakeTimers();
    let n = 0;
    const h = hub(async () => ({ n: ++n }));
    const a = res();
    h.add(asRes(a));
    h.broadcast('records', [{ seq: 1, note: 'line\nbreak' }]);
    expect(a.written).toBe('event: records\ndata: [{"seq":1,"note":"line\\nbreak"}]\n\n');
    a.written = '';
    await vi.advanceTimersByTimeAsync(15_000);
    expect(a.written.match(/event: overview\n/g)).toHaveLength(7);
    expect(a.written).toContain('data: {"n":7}\n\n');
    expect(a.written).toContain(': ping\n\n');
    a.emit('close');
    expect(h.size).toBe(0);
    // No client, no timer: the overview is not built for nobody.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(n).toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops a client that stops reading, keeps the others', () => {
    const h = hub();
    const slow = res();
    const fast = res();
    h.add(asRes(slow));
    h.add(asRes(fast));
    slow.writableLength = 5000;
    h.broadcast('records', []);
    expect(slow.destroyed).toBe(true);
    expect(h.size).toBe(1);
    expect(fast.written).toContain('event: records');
    h.stop();
  });

  it('stop() ends every stream, clears its timers and refuses new ones', () => {
    vi.useFakeTimers();
    const h = hub();
    const a = res();
    const b = res();
    h.add(asRes(a));
    h.add(asRes(b));
    h.stop();
    expect(a.writableEnded && b.writableEnded).toBe(true);
    expect(h.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const c = res();
    h.add(asRes(c));
    expect(c.writableEnded).toBe(true);
    expect(h.size).toBe(0);
  });
});
