import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmStateEntry } from '../../agent/buffer/buffer.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { BUFFER_WRITE_FAILED } from '../../agent/buffer/errors.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { makeRecord, WRITER_MAX_AGE_MS } from './fixtures/buffer-writer.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRITER = path.join(ROOT, 'test/integration/fixtures/buffer-writer.ts');
const DEADLINE_MS = 20_000;

interface Reported {
  run: number;
  first: number;
  firstSeq: number;
  count: number;
}

interface Writer {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  /** Set once the process ended and its stdout/stderr are drained ('close'). */
  closed: boolean;
  exited: Promise<number | null>;
}

let dir: string;
let dbPath: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  dbPath = path.join(dir, 'buffer.db');
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Node runs the fixture directly, or under `sh -c 'ulimit -f N && exec node …'` to cap file sizes (512-byte blocks in dash). */
function startWriter(run: number, extra: string[] = [], fileSizeLimitBlocks?: number): Writer {
  const nodeArgs = ['--import', 'tsx', WRITER, dbPath, String(run), ...extra];
  const child =
    fileSizeLimitBlocks === undefined
      ? spawn(process.execPath, nodeArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -f ${fileSizeLimitBlocks} && exec "$0" "$@"`, process.execPath, ...nodeArgs], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  children.push(child);
  const writer: Writer = {
    child,
    lines: [],
    stderr: [],
    closed: false,
    exited: new Promise((resolve) =>
      child.once('close', (code) => {
        writer.closed = true;
        resolve(code);
      }),
    ),
  };
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    writer.lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => writer.stderr.push(chunk));
  return writer;
}

async function waitFor(writer: Writer, done: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!done()) {
    if (writer.closed || Date.now() > deadline) {
      throw new Error(`writer gave ${writer.lines.length} lines, exit ${String(writer.child.exitCode)}: ${writer.stderr.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function parse(lines: readonly string[]): Reported[] {
  return lines
    .filter((line) => /^\d+ \d+ \d+ \d+$/.test(line))
    .map((line) => {
      const [run = 0, first = 0, firstSeq = 0, count = 0] = line.split(' ').map(Number);
      return { run, first, firstSeq, count };
    });
}

function readAll(): { stored: StoredRecord[]; alarmStates: AlarmStateEntry[] } {
  const buffer = new RecordBuffer({ path: dbPath, maxAgeMs: WRITER_MAX_AGE_MS, clock: systemClock, logger: pino({ level: 'silent' }) });
  buffer.start();
  try {
    return { stored: buffer.readAfter(0, Number.MAX_SAFE_INTEGER), alarmStates: buffer.alarmStates() };
  } finally {
    void buffer.stop();
  }
}

/**
 * What must hold whatever the kill point: every reported record is stored with its exact content;
 * the stored seqs are 1..N without a gap (a lost uncommitted tail never consumed a seq); each run's
 * records are its indexes 0..k in seq order (only the tail after the last commit is lost); and runs
 * follow each other, so no seq is reused by a later run. alarm_state, committed with the records, is
 * exactly what the last stored alarm record of each (device, channel, rule) set (nothing is released).
 */
function checkStore(reported: readonly Reported[]): StoredRecord[] {
  const { stored, alarmStates } = readAll();
  expect(stored.map((r) => r.seq)).toEqual(stored.map((_, k) => k + 1));
  const expectedIndex = new Map<number, number>();
  let lastRun = -1;
  for (const r of stored) {
    const run = Number(r.bootId.slice('boot-'.length));
    expect(run).toBeGreaterThanOrEqual(lastRun);
    lastRun = run;
    expect(r.mono).toBe(expectedIndex.get(run) ?? 0);
    expectedIndex.set(run, r.mono + 1);
    expect(r).toEqual({ ...makeRecord(run, r.mono), seq: r.seq });
  }
  const seen = new Set<number>();
  for (const line of reported) {
    for (let k = 0; k < line.count; k++) {
      const seq = line.firstSeq + k;
      expect(seen.has(seq)).toBe(false);
      seen.add(seq);
      expect(stored[seq - 1]).toEqual({ ...makeRecord(line.run, line.first + k), seq });
    }
  }
  const lastAlarms = new Map<string, AlarmStateEntry>();
  for (const r of stored) {
    if (r.alarm === undefined) continue;
    const { rule, level, state, threshold } = r.alarm;
    lastAlarms.set(`${r.device}/${r.channel}/${rule}`, {
      device: r.device,
      channel: r.channel,
      rule,
      level,
      state,
      threshold,
      value: r.value,
      ts: r.ts,
      seq: r.seq,
    });
  }
  expect(lastAlarms.size).toBeGreaterThan(0);
  expect(alarmStates).toEqual([...lastAlarms.values()].sort((a, b) => a.seq - b.seq));
  return stored;
}

describe('buffer under SIGKILL', () => {
  it('keeps every reported commit, in order, with no seq reused, across 5 killed runs', async () => {
    const reported: Reported[] = [];
    for (let run = 1; run <= 5; run++) {
      const writer = startWriter(run);
      // A random kill point: after 1 to 40 reported appends.
      const killAfter = 1 + Math.floor(Math.random() * 40);
      await waitFor(writer, () => parse(writer.lines).length >= killAfter);
      writer.child.kill('SIGKILL');
      await writer.exited;
      const lines = parse(writer.lines);
      expect(lines.every((line) => line.run === run)).toBe(true);
      reported.push(...lines);
    }
    const stored = checkStore(reported);
    // Later runs continue after earlier ones: reported seqs rise from run to run.
    const lastSeqOfRun = (run: number): number => Math.max(...reported.filter((l) => l.run === run).map((l) => l.firstSeq + l.count - 1));
    const firstSeqOfRun = (run: number): number => Math.min(...reported.filter((l) => l.run === run).map((l) => l.firstSeq));
    for (let run = 2; run <= 5; run++) expect(firstSeqOfRun(run)).toBeGreaterThan(lastSeqOfRun(run - 1));
    expect(stored.length).toBeGreaterThanOrEqual(reported.reduce((n, l) => n + l.count, 0));
  });

  it('a write that fails (file size limit, as on a full disk) rejects with BUFFER_WRITE_FAILED and loses nothing reported', async () => {
    const writer = startWriter(1, ['until-failure'], 2048);
    await waitFor(writer, () => writer.lines.some((line) => line.startsWith('failed ')));
    expect(await writer.exited).toBe(0);
    const [, code, causeCode] = writer.lines.find((line) => line.startsWith('failed '))?.split(' ') ?? [];
    expect(code).toBe(BUFFER_WRITE_FAILED);
    expect(causeCode).toMatch(/^SQLITE_(FULL|IOERR)/);
    const reported = parse(writer.lines);
    expect(reported.length).toBeGreaterThan(0);
    checkStore(reported);
  });
});
