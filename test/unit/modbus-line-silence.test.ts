import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LineSilence } from '../../agent/modbus/line-silence.ts';
import { answerEndMs, bitsPerChar, t35Ms, wireTimeMs } from '../../protocols/modbus/timing.ts';

describe('RTU line timing (Serial Line v1.02 §2.5.1.1)', () => {
  it('t3.5 is 3.5 characters up to and including 19200 baud, 1.75 ms above', () => {
    expect(t35Ms(9600)).toBeCloseTo((3.5 * 11 * 1000) / 9600, 9); // 4.010 ms
    expect(t35Ms(19200)).toBeCloseTo((3.5 * 11 * 1000) / 19200, 9); // 2.005 ms, not the fixed value
    expect(t35Ms(38400)).toBe(1.75);
  });

  it('a character is start + data + parity + stop bits', () => {
    expect(bitsPerChar(8, 'even', 1)).toBe(11);
    expect(bitsPerChar(8, 'none', 2)).toBe(11);
    expect(bitsPerChar(8, 'none', 1)).toBe(10);
  });

  it("an answer ends one t3.5 before the poll does: the other t3.5 is the master's", () => {
    expect(wireTimeMs(8, 9, 19200) - answerEndMs(8, 9, 19200)).toBeCloseTo(t35Ms(19200), 9);
  });
});

describe('LineSilence', () => {
  it('does not wait when the silence has already passed', async () => {
    let now = 0;
    const silence = new LineSilence(4, () => now);
    silence.heard();
    now = 4;
    let done = false;
    const p = silence.wait().then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(true);
    await p;
  });

  /** Whether wait() resolves within a few turns of the event loop with the clock held still. */
  async function resolvesAtOnce(silence: LineSilence): Promise<boolean> {
    let done = false;
    const p = silence.wait().then(() => (done = true));
    for (let i = 0; i < 5 && !done; i++) await new Promise((r) => setImmediate(r));
    return done ? p.then(() => true) : false;
  }

  it('starts the silence at the end of a transaction that heard nothing, and not later after one that did', async () => {
    let now = 10;
    const silence = new LineSilence(4, () => now);
    const first = silence.mark();
    now = 510; // timed out: nothing heard
    silence.ended(first);
    now = 513;
    expect(await resolvesAtOnce(silence)).toBe(false);
    now = 514;
    await silence.wait();
    const second = silence.mark();
    now = 530;
    silence.heard(); // the answer's last byte
    now = 533.9;
    silence.ended(second); // decoding took 3.9 ms: the silence still counts from the byte
    now = 534;
    expect(await resolvesAtOnce(silence)).toBe(true);
  });

  it('does not wait before the first frame', async () => {
    const silence = new LineSilence(1000);
    const t0 = performance.now();
    await silence.wait();
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('waits out the rest of the silence, to a fraction of a millisecond', async () => {
    const silence = new LineSilence(2.005);
    silence.heard();
    const ended = performance.now();
    await silence.wait();
    expect(performance.now() - ended).toBeGreaterThanOrEqual(2.005);
  });
});
