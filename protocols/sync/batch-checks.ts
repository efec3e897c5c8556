/**
 * The record rules of a batch, shared by encodeBatch and decodeBatch (batch.ts) so the agent never
 * sends what the relay refuses: each record passes protocols/records-check.ts, and seq ascends
 * within each kind and is unique across kinds (types.ts SyncBatch).
 */

import type { StoredRecord } from '../records.ts';
import { storedRecordProblem } from '../records-check.ts';
import { recordInvalid } from '../records-errors.ts';
import type { SyncError } from './errors.ts';
import { malformed } from './errors.ts';

/** ATALAYA_SYNC_MALFORMED for record `i`, `reason` `records[i].<field>: …`; `cause` is the ATALAYA_RECORD_INVALID error. */
export function checkRecord(r: StoredRecord, i: number): void {
  const problem = storedRecordProblem(r);
  if (problem === undefined) return;
  const cause = recordInvalid(problem, i);
  throw malformed(`records[${i}]${problem.path === '' ? '' : `.${problem.path}`}: expected ${problem.expected}`, cause);
}

/** Seq order across the records of one batch, fed in batch order. */
export class SeqOrder {
  private readonly last = new Map<string, number>();
  private readonly seen = new Set<number>();

  check(r: StoredRecord, i: number): void {
    if (this.seen.has(r.seq)) throw seqMalformed(i, `seq ${r.seq} appears twice`);
    const previous = this.last.get(r.kind);
    if (previous !== undefined && r.seq <= previous) throw seqMalformed(i, `not above the previous ${r.kind}'s seq ${previous}`);
    this.last.set(r.kind, r.seq);
    this.seen.add(r.seq);
  }
}

function seqMalformed(i: number, problem: string): SyncError {
  return malformed(`records[${i}].seq: ${problem}`);
}
