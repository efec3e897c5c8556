/**
 * Modbus RTU polls/s through a pseudo-terminal against the simulator delaying every answer by the
 * real wire time at the baud rate, compared with the physical ceiling of docs/field.md#the-serial-lines-ceiling:
 *   T_cycle = (8 + 5 + 2N)·T_char + 2·t3.5 (T_slave = 0), one float32 (N = 2), T_char = 11 bits / baud.
 * Each baud rate is run `repeats` times (median and range printed, the machine is often shared),
 * then one poll is taken apart: where its time goes beyond the wire time (docs/modbus.md#where-a-poll-spends-its-time).
 * Prints, asserts nothing. Run: node bin/run-ts.mjs test/bench/modbus-rtu.ts [seconds per run] [repeats]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ModbusLink } from '../../agent/modbus/link.ts';
import { createDirectSerialBinding } from '../../platform/serial-binding.ts';
import { systemClock } from '../../protocols/clock.ts';
import { answerEndMs, t35Ms, wireTimeMs } from '../../simulators/modbus/wire-time.ts';
import { testLogger } from '../helpers/logger.ts';
import { fmt, machineLine, out, startSim } from './common.ts';
import { ms, ptyRoundTrips, spread } from './pty-round-trip.ts';

const N = 2;

/** Timestamps (performance.now()) of the agent's serial I/O, set from the binding's hooks. */
interface Marks {
  written: number;
  firstRead: number;
  lastRead: number;
  reads: number;
}

interface Run {
  ratio: number;
  pollsPerSecond: number;
  /** Per poll, ms: previous answer's last byte read → request written (the agent's t3.5 and set-up). */
  silence: number[];
  /** Request written → first answer byte read (the simulator's answerEndMs, pty hops, wake-ups). */
  line: number[];
  /** First → last answer byte read (answers split by the pty). */
  rest: number[];
  /** Last answer byte read → read() resolved (decoding, inside the silence). */
  decode: number[];
}

async function atBaud(baud: number, seconds: number): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-rtu-bench-'));
  // 8E1: the 11-bit characters of compliant framing (Serial Line §2.5.1), which the simulator's
  // wire time and the ceiling assume, so the agent's own t3.5 is counted on the same characters.
  const sim = await startSim(['--no-tcp', '--pty', dir, '--baud', String(baud), '--parity', 'even', '--wire-time', '--device', '1=flowmeter:steady']);
  const marks: Marks = { written: 0, firstRead: 0, lastRead: 0, reads: 0 };
  const link = new ModbusLink({
    id: 'bench',
    target: { kind: 'serial', path: path.join(dir, 'a'), baudRate: baud, parity: 'even', dataBits: 8, stopBits: 1 },
    timeoutMs: 1000,
    interFrameDelayMs: 0,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    clock: systemClock,
    logger: testLogger(),
    serialBinding: (hooks) =>
      createDirectSerialBinding({
        onRead() {
          hooks.onRead?.();
          marks.lastRead = performance.now();
          if (marks.reads++ === 0) marks.firstRead = marks.lastRead;
        },
        onWrite() {
          hooks.onWrite?.();
          marks.written = performance.now();
        },
      }),
  });
  const run: Run = { ratio: 0, pollsPerSecond: 0, silence: [], line: [], rest: [], decode: [] };
  try {
    link.start();
    for (let i = 0; i < 5; i++) await link.read(1, 'holding', 0, N); // warm-up
    let polls = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      const previous = marks.lastRead;
      marks.reads = 0;
      await link.read(1, 'holding', 0, N);
      run.decode.push(performance.now() - marks.lastRead);
      run.silence.push(marks.written - previous);
      run.line.push(marks.firstRead - marks.written);
      run.rest.push(marks.lastRead - marks.firstRead);
      polls++;
    }
    run.pollsPerSecond = polls / ((performance.now() - t0) / 1000);
    run.ratio = run.pollsPerSecond / (1000 / wireTimeMs(8, 5 + 2 * N, baud));
    return run;
  } finally {
    await link.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(seconds = 5, repeats = 3): Promise<void> {
  out(machineLine());
  out(
    `raw pty round trip (8 bytes to an echo process and back, socat pair, event-loop binding), back to back: ${ms(spread(await ptyRoundTrips('direct', 1000)))}`,
  );
  // Between polls every process sleeps through the wire time, so this is the floor under a poll.
  const rtt = spread(await ptyRoundTrips('direct', 200, 12));
  out(`raw pty round trip after 12 ms idle (every process asleep first, as between polls): ${ms(rtt)}`);
  out(
    `modbus rtu: one FC03 read of one float32 (N=${N}) in a loop over a socat pty, simulator delaying answers by the wire time, ${seconds} s × ${repeats} per baud rate`,
  );
  for (const baud of [9600, 19200]) {
    const wire = wireTimeMs(8, 5 + 2 * N, baud);
    const runs: Run[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await atBaud(baud, seconds));
    const ratios = runs.map((r) => r.ratio).sort((a, b) => a - b);
    const median = runs.find((r) => r.ratio === ratios[Math.floor(ratios.length / 2)])!;
    out(
      `  ${String(baud).padStart(5)} baud: ${fmt(median.pollsPerSecond, 1)} polls/s, ceiling ${fmt(1000 / wire, 1)} polls/s (${wire.toFixed(3)} ms a poll), ratio median ${median.ratio.toFixed(3)} (runs ${ratios.map((r) => r.toFixed(3)).join(', ')})`,
    );
    const t35 = t35Ms(baud);
    const answer = answerEndMs(8, 5 + 2 * N, baud);
    const silence = spread(median.silence);
    const line = spread(median.line);
    out(`         one poll taken apart (median run; the ceiling's poll is the answer's ${answer.toFixed(3)} ms + the master's t3.5 ${t35.toFixed(3)} ms):`);
    out(`           agent, last answer byte read → next request written: ${ms(silence)}, beyond t3.5: ${(silence.median - t35).toFixed(3)} ms`);
    out(
      `           line, request written → first answer byte read:     ${ms(line)}, beyond the answer's wire time: ${(line.median - answer).toFixed(3)} ms (of which the idle pty round trip ${rtt.median.toFixed(3)} ms; the rest is the simulator's timer and wake-ups)`,
    );
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    out(
      `           mean poll ${(1000 / median.pollsPerSecond).toFixed(3)} ms against ${wire.toFixed(3)} ms: the agent's silence beyond t3.5 ${(mean(median.silence) - t35).toFixed(3)} ms, the line beyond the answer ${(mean(median.line) - answer).toFixed(3)} ms (means: the tails set polls/s)`,
    );
    out(`           first → last answer byte read:                      ${ms(spread(median.rest))}`);
    out(`           agent, last byte read → read() resolved (within t3.5): ${ms(spread(median.decode))}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 3));
}
