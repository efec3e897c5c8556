import { ATALAYA_RECORD_INVALID, AtalayaError, isAtalayaError } from './errors.ts';

export { ATALAYA_RECORD_INVALID };

export type RecordErrorCode = typeof ATALAYA_RECORD_INVALID;

/** The first rule a record breaks. Plain data: the check runs per record and builds no Error. */
export interface RecordProblem {
  /** Field of the record, dotted: `device`, `alarm.threshold`; empty when the record is not an object. */
  readonly path: string;
  /** What the rule wants, e.g. `a string of 0..32 characters`; never the offending value. */
  readonly expected: string;
}

export class RecordError extends AtalayaError<RecordErrorCode> {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(ATALAYA_RECORD_INVALID, message, options);
    this.name = 'RecordError';
  }
}

export function isRecordError(err: unknown): err is RecordError {
  return err instanceof RecordError && isAtalayaError(err, ATALAYA_RECORD_INVALID);
}

/** `index`: position of the record in the caller's list, when there is one. */
export function recordInvalid(problem: RecordProblem, index?: number): RecordError {
  const record = index === undefined ? '' : `records[${index}]`;
  const where = problem.path === '' ? record || '(record)' : record === '' ? problem.path : `${record}.${problem.path}`;
  return new RecordError(`invalid record: ${where}: expected ${problem.expected}`, { details: { path: problem.path, expected: problem.expected, index } });
}
