import Sqlite, { type Database, type Statement } from 'better-sqlite3';
import type { Outcome, OutcomeStatus } from '../../protocols/fleet/commands-wire.ts';

/** Rows kept after the relay confirmed their outcome, ms (30 days): ids the relay could still resend are long expired by then. */
const KEEP_MS = 30 * 86_400_000;

interface Statements {
  claim: Statement<[string, string, number]>;
  finish: Statement<[string, number, string, string]>;
  unconfirmed: Statement<[]>;
  confirm: Statement<[string]>;
  interrupted: Statement<[string, number]>;
  prune: Statement<[number]>;
}

/**
 * The commands table of the buffer file (buffer migration 6), through a connection of its own
 * (WAL lets it write beside the buffer's), synchronous=FULL: a claim is on disk before the command
 * runs, so a SIGKILL or power cut never lets a command run twice.
 */
export class CommandsStore {
  private db: Database | undefined;
  private statements: Statements | undefined;

  /** Nothing opens until first use: the buffer's start() migrates the file first. */
  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs = 5000,
  ) {}

  private get s(): Statements {
    if (this.statements !== undefined) return this.statements;
    const db = new Sqlite(this.path, { timeout: this.busyTimeoutMs });
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    this.statements = {
      claim: db.prepare("INSERT INTO fleet_commands (id, kind, status, at) VALUES (?, ?, 'running', ?) ON CONFLICT (id) DO NOTHING"),
      finish: db.prepare('UPDATE fleet_commands SET status = ?, at = ?, outcome = ? WHERE id = ?'),
      unconfirmed: db.prepare("SELECT id, status, outcome, at FROM fleet_commands WHERE confirmed = 0 AND status != 'running' ORDER BY at LIMIT 100"),
      confirm: db.prepare('UPDATE fleet_commands SET confirmed = 1 WHERE id = ?'),
      interrupted: db.prepare("UPDATE fleet_commands SET status = 'failed', outcome = ?, at = ? WHERE status = 'running'"),
      prune: db.prepare('DELETE FROM fleet_commands WHERE confirmed = 1 AND at < ?'),
    };
    return this.statements;
  }

  /** Claims an id before running it: false when it was seen before (run, refused or interrupted). */
  claim(id: string, kind: string, now: number): boolean {
    return this.s.claim.run(id, kind, now).changes > 0;
  }

  finish(id: string, status: OutcomeStatus, body: { result?: unknown; reason?: string }, now: number): void {
    this.s.finish.run(status, now, JSON.stringify(body), id);
  }

  /** Commands claimed when the process died mid-run: failed, never run again. Called at start. */
  markInterrupted(now: number): number {
    return this.s.interrupted.run(JSON.stringify({ reason: 'interrupted: the agent stopped while it ran' }), now).changes;
  }

  /** Outcomes the relay has not confirmed yet, oldest first (at most 100 per poll). */
  unconfirmed(): Outcome[] {
    return (this.s.unconfirmed.all() as Array<{ id: string; status: OutcomeStatus; outcome: string | null; at: number }>).map((r) => {
      const body = r.outcome === null ? {} : (JSON.parse(r.outcome) as { result?: unknown; reason?: string });
      return { id: r.id, status: r.status, at: r.at, ...(r.status === 'ok' ? { result: body.result ?? null } : { reason: body.reason ?? '' }) };
    });
  }

  confirm(ids: readonly string[], now: number): void {
    const s = this.s;
    this.db?.transaction(() => {
      for (const id of ids) s.confirm.run(id);
      s.prune.run(now - KEEP_MS);
    })();
  }

  close(): void {
    if (this.db?.open === true) this.db.close();
    this.db = undefined;
    this.statements = undefined;
  }
}
