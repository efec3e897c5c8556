import type { Logger } from 'pino';
import type { NewRecord } from '../../protocols/records.ts';
import { newRecordProblem } from '../../protocols/records-check.ts';
import { ATALAYA_RECORD_INVALID } from '../../protocols/records-errors.ts';

/** Distinct (device, channel, field) problems logged; past it, further ones are dropped silently. */
const MAX_LOGGED = 1000;

/**
 * A sink for the agent's own record producers (Modbus pollers, the alarm engine) in front of
 * RecordBuffer.append, which refuses a whole append for one record the record check refuses. For
 * them such a record is a bug (a profile unit too long, a clock before 1970): that record is
 * dropped and the rest of the poll stored, and each (device, channel, field) is logged once with
 * ATALAYA_RECORD_INVALID instead of once per poll. Resolves with the seqs of the stored records.
 */
export function droppingInvalid(
  append: (records: readonly NewRecord[]) => Promise<number[]>,
  logger: Logger,
): (records: readonly NewRecord[]) => Promise<number[]> {
  const log = logger.child({ component: 'buffer' });
  const logged = new Set<string>();
  return (records) => {
    let kept: NewRecord[] | undefined;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const problem = newRecordProblem(r);
      if (problem === undefined) {
        kept?.push(r);
        continue;
      }
      kept ??= records.slice(0, i);
      const key = `${String(r?.device)}\u0000${String(r?.channel)}\u0000${problem.path}`;
      if (!logged.has(key) && logged.size < MAX_LOGGED) {
        logged.add(key);
        log.error(
          { code: ATALAYA_RECORD_INVALID, device: r?.device, channel: r?.channel, kind: r?.kind, path: problem.path, expected: problem.expected },
          'record refused by the record check: dropped (logged once per device, channel and field)',
        );
      }
    }
    return append(kept ?? records);
  };
}
