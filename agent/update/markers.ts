/**
 * The two files the updater and deploy/pi/boot-check.sh share in the install root, as
 * `key=value` lines so that a POSIX shell reads them without Node (the boot check must work when
 * the new version's Node code does not):
 *
 * - `.update-pending`: written before `current` is switched, removed when the new version
 *   confirms its health. `previous`, `next`, `starts` (how many times the new version was
 *   started, counted by the boot check), `maxStarts`.
 * - `.update-result`: the last update's outcome, read at start and reported to the relay:
 *   `state` (confirmed | rolled_back), `version` (the one tried), `from`, `reason`, `at`.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fsyncPath } from '../../platform/fsync.ts';

export const PENDING_FILE = '.update-pending';
export const RESULT_FILE = '.update-result';

export interface PendingMarker {
  readonly previous: string;
  readonly next: string;
  readonly starts: number;
  readonly maxStarts: number;
}

export interface ResultMarker {
  readonly state: 'confirmed' | 'rolled_back';
  readonly version: string;
  readonly from: string;
  readonly reason: string;
  /** Seconds since the epoch. */
  readonly at: number;
}

export function readFields(file: string): Map<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && !fields.has(line.slice(0, i))) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  return fields;
}

/** Written to a temporary file, fsynced, renamed over the old one, the directory fsynced: whole or not at all after a power cut. */
export function writeFields(file: string, fields: Readonly<Record<string, string | number>>): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(
      fd,
      Object.entries(fields)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncPath(path.dirname(file));
}

export function readPending(root: string): PendingMarker | undefined {
  const f = readFields(path.join(root, PENDING_FILE));
  if (f === undefined) return undefined;
  const num = (k: string): number => Number(f.get(k) ?? Number.NaN);
  const m = { previous: f.get('previous') ?? '', next: f.get('next') ?? '', starts: num('starts'), maxStarts: num('maxStarts') };
  return m.previous !== '' && m.next !== '' ? { ...m, starts: m.starts || 0, maxStarts: m.maxStarts || 1 } : undefined;
}

export function writePending(root: string, m: PendingMarker): void {
  writeFields(path.join(root, PENDING_FILE), { previous: m.previous, next: m.next, starts: m.starts, maxStarts: m.maxStarts });
}

export function clearPending(root: string): void {
  rmSync(path.join(root, PENDING_FILE), { force: true });
  fsyncPath(root);
}

export function readResult(root: string): ResultMarker | undefined {
  const f = readFields(path.join(root, RESULT_FILE));
  const state = f?.get('state');
  if (f === undefined || (state !== 'confirmed' && state !== 'rolled_back')) return undefined;
  return { state, version: f.get('version') ?? '', from: f.get('from') ?? '', reason: f.get('reason') ?? '', at: Number(f.get('at') ?? 0) };
}

export function writeResult(root: string, r: ResultMarker): void {
  writeFields(path.join(root, RESULT_FILE), { state: r.state, version: r.version, from: r.from, reason: r.reason, at: r.at });
}
