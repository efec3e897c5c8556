/**
 * Provider sources (issue 17 §1) on the relay's one executor. A source's ingest is one
 * transaction: lock its virtual gateway's row, claim each message id (a redelivery claims
 * nothing), number the new messages' records from the gateway's highest seq (gapless: nothing else
 * writes a src- gateway), store them through the records store (the one writer of `records`), move
 * the cursor and count the problems. A crash anywhere leaves all of it or none, so a pull resumes
 * from the committed cursor and the message ids absorb what it fetches again.
 */
import { PRIORITY } from '../../protocols/records.ts';
import { newRecordProblem } from '../../protocols/records-check.ts';
import { recordHash } from '../../protocols/sync/canonical.ts';
import { SOURCE_EXISTS, sourceError } from '../providers/errors.ts';
import { unknownGateway } from './errors.ts';
import type { SqlRecordsStore } from './records-store.ts';
import { SOURCES_SQL as SQL } from './sources-sql.ts';
import type { SourceBatch, SourceIngestResult, SourceMessage, SourceProblem, SourceProblemRow, SourceRow, SourcesStore } from './sources-types.ts';
import { forUpdate, type Query, type SqlExecutor } from './sql-executor.ts';
import type { IngestInput } from './types.ts';

/** boot id of every provider record: a provider's time is its own, there is no boot to correct from. */
export const PROVIDER_BOOT_ID = 'provider';

export class SqlSourcesStore implements SourcesStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly records: Pick<SqlRecordsStore, 'ingestWithin'>,
  ) {}

  async addSource(s: { id: string; kind: SourceRow['kind']; org: string; gatewaySecretCiphertext: string; now: number }): Promise<void> {
    const gateway = `src-${s.id}`;
    const added = await this.db.transaction('add source', async (q) => {
      if ((await q(SQL.insertSource, [s.id, s.kind, gateway, s.org, s.now])).count === 0) return false;
      if ((await q(SQL.insertGateway, [gateway, s.gatewaySecretCiphertext, s.now, s.org])).count === 0)
        throw sourceError(SOURCE_EXISTS, `gateway ${gateway} exists`);
      return true;
    });
    if (!added) throw sourceError(SOURCE_EXISTS, `source ${s.id} exists`, { details: { source: s.id } });
  }

  async getSource(id: string): Promise<SourceRow | undefined> {
    return (await this.db.query<SourceRow>(SQL.getSource, [id])).rows[0];
  }

  async listSources(): Promise<SourceRow[]> {
    return (await this.db.query<SourceRow>(SQL.listSources, [])).rows;
  }

  async problems(source?: string): Promise<SourceProblemRow[]> {
    return source === undefined
      ? (await this.db.query<SourceProblemRow>(SQL.listProblems, [])).rows
      : (await this.db.query<SourceProblemRow>(SQL.sourceProblems, [source])).rows;
  }

  async ingest(offered: SourceBatch): Promise<SourceIngestResult> {
    const gateway = `src-${offered.source}`;
    const batch = checked(offered);
    // Grouped (sql-sqlite-group.ts): webhooks arriving together share one commit on SQLite, each
    // still in its own savepoint, run one after the other, so the seqs stay gapless.
    return this.db.groupedTransaction('source ingest', async (q, many, copy) => {
      // The row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes) makes two relays'
      // ingests of one source take turns, so seqs never collide and stay gapless.
      const held = (await q<{ highestSeq: number | null }>(forUpdate(SQL.highestSeq, this.db.dialect), [gateway])).rows[0];
      if (held === undefined) throw unknownGateway(gateway);
      const fresh: SourceMessage[] = [];
      for (const m of [...batch.messages].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
        if (await claim(q, batch.source, m, batch.now)) fresh.push(m);
      let seq = held.highestSeq ?? 0;
      const firstSeq = seq + 1;
      const records: IngestInput['records'][number][] = [];
      for (const m of fresh)
        for (const r of m.records) {
          seq += 1;
          const stored = { ...r, seq, mono: 0, bootId: PROVIDER_BOOT_ID, priority: PRIORITY.ordinary, flags: 0 };
          records.push({ ...stored, gateway, tsCorrected: null, hash: recordHash(gateway, stored) });
        }
      if (records.length > 0) {
        const outcome = await this.records.ingestWithin(q, many, copy, { gateway, records, now: batch.now, clockOffsetMs: null });
        // Impossible while the row is held; refusing beats storing a fork.
        if (!outcome.ok) throw unknownGateway(gateway);
      }
      await q(SQL.stored, [batch.source, batch.cursor ?? null, batch.now, fresh.length, batch.messages.length - fresh.length]);
      await countProblems(q, batch.source, batch.problems, batch.now);
      return {
        messages: fresh.length,
        records: records.length,
        duplicates: batch.messages.length - fresh.length,
        firstSeq: records.length > 0 ? firstSeq : null,
        lastSeq: records.length > 0 ? seq : null,
      };
    });
  }

  async countProblems(source: string, problems: readonly SourceProblem[], now: number): Promise<void> {
    if (problems.length === 0) return;
    await this.db.transaction('source problems', (q) => countProblems(q, source, problems, now));
  }

  async pullFailed(source: string, error: string, failures: number, nextTryAt: number, now: number): Promise<void> {
    await this.db.query(SQL.pullFailed, [source, now, error, failures, nextTryAt]);
  }

  async scheduled(source: string, nextTryAt: number): Promise<void> {
    await this.db.query(SQL.scheduled, [source, nextTryAt]);
  }
}

/**
 * The batch without the records the relay would refuse from a gateway (protocols/records-check.ts:
 * a name over 128 characters, a time that is not an integer, …), each counted as `invalid_record`;
 * their messages are kept, so a redelivery does not count them again.
 */
function checked(batch: SourceBatch): SourceBatch {
  const problems = [...batch.problems];
  const messages = batch.messages.map((m) => {
    const records = m.records.filter((r) => {
      const problem = newRecordProblem({ ...r, mono: 0, bootId: PROVIDER_BOOT_ID, priority: PRIORITY.ordinary, flags: 0 });
      if (problem !== undefined) problems.push({ reason: 'invalid_record', detail: `${r.device}/${r.channel}: ${problem.path}` });
      return problem === undefined;
    });
    return records.length === m.records.length ? m : { ...m, records };
  });
  return { ...batch, messages, problems };
}

/** Claims the message's id; false for a redelivery. An id held with a time outside the window is a new message under `<id>@<at>`. */
async function claim(q: Query, source: string, m: SourceMessage, now: number): Promise<boolean> {
  if ((await q(SQL.claimMessage, [source, m.id, m.at, now])).count === 1) return true;
  if (m.dedupWindowMs === undefined) return false;
  const held = (await q<{ at: number }>(SQL.messageAt, [source, m.id])).rows[0];
  if (held === undefined || Math.abs(Number(held.at) - m.at) <= m.dedupWindowMs) return false;
  return (await q(SQL.claimMessage, [source, `${m.id}@${m.at}`, m.at, now])).count === 1;
}

/** One upsert per reason: the count grows by how many, the last detail is the last one's. */
async function countProblems(q: Query, source: string, problems: readonly SourceProblem[], now: number): Promise<void> {
  const byReason = new Map<string, { count: number; detail: string }>();
  for (const p of problems) {
    const entry = byReason.get(p.reason) ?? { count: 0, detail: '' };
    entry.count += 1;
    entry.detail = p.detail.slice(0, 200);
    byReason.set(p.reason, entry);
  }
  for (const [reason, { count, detail }] of byReason) await q(SQL.countProblem, [source, reason, count, now, detail]);
}
