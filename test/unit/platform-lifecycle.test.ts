import { describe, expect, it, vi } from 'vitest';
import { isPlatformError, PLATFORM_PART_STOP_FAILED, PLATFORM_PART_STOP_TIMEOUT, PLATFORM_STOP_FAILED, PLATFORM_STOPPING } from '../../platform/errors.ts';
import { Lifecycle, type Part } from '../../platform/lifecycle.ts';
import { testLogger } from '../helpers/logger.ts';

type Behaviour = 'ok' | 'throw' | 'reject' | 'hang';

/** Every error the parts below threw, in order. */
const thrown: Error[] = [];

/** A part that records its start and stop in `events` and behaves as told when stopped or started. */
function part(name: string, events: string[], o: { start?: Behaviour; stop?: Behaviour } = {}): Part {
  const act = (what: 'start' | 'stop', how: Behaviour = 'ok'): void | Promise<void> => {
    events.push(`${what} ${name}`);
    const broke = (): Error => {
      const err = new Error(`${name} ${what} broke`);
      thrown.push(err);
      return err;
    };
    if (how === 'throw') throw broke();
    if (how === 'reject') return Promise.reject(broke());
    if (how === 'hang') return new Promise<void>(() => undefined);
    return Promise.resolve();
  };
  return { name, start: () => act('start', o.start), stop: () => act('stop', o.stop) };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('Lifecycle', () => {
  it('starts parts in order and stops them in reverse', async () => {
    const events: string[] = [];
    const life = new Lifecycle({ logger: testLogger() });
    await life.start(part('buffer', events), part('broker', events));
    await life.start(part('status', events));
    expect(life.running).toEqual(['buffer', 'broker', 'status']);
    await life.stop();
    expect(events).toEqual(['start buffer', 'start broker', 'start status', 'stop status', 'stop broker', 'stop buffer']);
    expect(life.running).toEqual([]);
  });

  it.each(['throw', 'reject'] as const)(
    'a stop that fails (%s) does not skip the parts before it; stop() then rejects with every failed part named',
    async (how) => {
      const events: string[] = [];
      const life = new Lifecycle({ logger: testLogger() });
      await life.start(part('buffer', events), part('broker', events, { stop: how }), part('status', events, { stop: how }));
      const err = await rejection(life.stop());
      expect(events.slice(3)).toEqual(['stop status', 'stop broker', 'stop buffer']);
      expect(isPlatformError(err, PLATFORM_STOP_FAILED)).toBe(true);
      expect((err as { details: { parts: string[] } }).details.parts).toEqual(['status', 'broker']);
      expect(isPlatformError((err as Error).cause, PLATFORM_PART_STOP_FAILED)).toBe(true);
      expect(((err as Error).cause as Error).cause).toBe(thrown.at(-2));
    },
  );

  it('a stop past its deadline is given up on and the next part is stopped', async () => {
    vi.useFakeTimers();
    try {
      const events: string[] = [];
      const life = new Lifecycle({ logger: testLogger(), stopDeadlineMs: 5000 });
      await life.start(part('buffer', events), part('sync', events, { stop: 'hang' }));
      const stopping = rejection(life.stop());
      await vi.advanceTimersByTimeAsync(4999);
      expect(events.slice(2)).toEqual(['stop sync']);
      await vi.advanceTimersByTimeAsync(1);
      const err = await stopping;
      expect(events.slice(2)).toEqual(['stop sync', 'stop buffer']);
      expect(isPlatformError((err as Error).cause, PLATFORM_PART_STOP_TIMEOUT)).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a failed start stops what started (the failing part too, so it can release what it opened), in reverse, and rethrows the start error', async () => {
    const events: string[] = [];
    const life = new Lifecycle({ logger: testLogger() });
    const never = part('status', events);
    const err = await rejection(life.start(part('buffer', events), part('broker', events, { start: 'reject' }), never));
    expect(err).toBe(thrown.at(-1));
    expect(events).toEqual(['start buffer', 'start broker', 'stop broker', 'stop buffer']);
    expect(life.running).toEqual([]);
  });

  it('stop() is idempotent: twice at once is one run, again afterwards does nothing', async () => {
    const events: string[] = [];
    const life = new Lifecycle({ logger: testLogger() });
    await life.start(part('buffer', events), part('poller', events));
    await Promise.all([life.stop(), life.stop()]);
    await life.stop();
    expect(events).toEqual(['start buffer', 'start poller', 'stop poller', 'stop buffer']);
  });

  it('refuses to start a part while stopping', async () => {
    const events: string[] = [];
    const life = new Lifecycle({ logger: testLogger() });
    let release!: () => void;
    await life.start({ name: 'slow', start: () => undefined, stop: () => new Promise<void>((resolve) => (release = resolve)) });
    const stopping = life.stop();
    const err = await rejection(life.start(part('late', events)));
    expect(isPlatformError(err, PLATFORM_STOPPING)).toBe(true);
    release();
    await stopping;
    expect(events).toEqual([]);
  });
});
