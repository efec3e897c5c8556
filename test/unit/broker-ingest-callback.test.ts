import { describe, expect, it } from 'vitest';
import type { IngestOutcome, RecordSinkWith, SeqMark } from '../../agent/broker/ingest.ts';
import { Ingest } from '../../agent/broker/ingest.ts';
import type { NewRecord } from '../../protocols/records.ts';

/** A sink whose commits the test settles by hand, as RecordBuffer.appendWith would after its commit. */
function heldSink(): { sinkWith: RecordSinkWith; held: { records: readonly NewRecord[]; mark?: SeqMark; settle: (err?: unknown) => void }[] } {
  const held: { records: readonly NewRecord[]; mark?: SeqMark; settle: (err?: unknown) => void }[] = [];
  return { held, sinkWith: (records, mark, done) => held.push({ records, mark, settle: done }) };
}

function ingest(sinkWith: RecordSinkWith): Ingest {
  return new Ingest({
    topicPrefix: 'atalaya',
    maxPayloadBytes: 1024,
    sink: () => Promise.reject(new Error('sinkWith is given: the promise sink must not be used')),
    sinkWith,
    clock: { now: () => 1_763_900_000_000, monotonic: () => 1 },
    bootId: 'boot',
    flags: () => 0,
  });
}

const T = 'atalaya/in/d/telemetry';
const msg = (seq: number): Buffer => Buffer.from(JSON.stringify({ channel: 'c', value: seq, unit: 'x', seq }));

function handled(i: Ingest, payload: Buffer): { ended: () => [unknown, IngestOutcome | undefined] | undefined } {
  let ended: [unknown, IngestOutcome | undefined] | undefined;
  i.handleWith(T, payload, (err, outcome) => {
    if (ended !== undefined) throw new Error('called back twice');
    ended = [err, outcome];
  });
  return { ended: () => ended };
}

describe('ingest through a callback sink (RecordBuffer.appendWith)', () => {
  it('acknowledges only after the sink settled; a redelivery racing it waits for the same commit', () => {
    const { sinkWith, held } = heldSink();
    const i = ingest(sinkWith);
    const first = handled(i, msg(5));
    const again = handled(i, msg(5));
    expect(held).toHaveLength(1);
    expect(held[0]?.mark).toEqual({ stream: 'd/telemetry', seq: 5 });
    expect([first.ended(), again.ended()]).toEqual([undefined, undefined]);
    held[0]?.settle();
    expect(first.ended()).toEqual([null, { status: 'stored', records: 1 }]);
    expect(again.ended()).toEqual([null, { status: 'duplicate' }]);
    // Once stored, a later redelivery is a duplicate at once.
    expect(handled(i, msg(5)).ended()).toEqual([null, { status: 'duplicate' }]);
  });

  it('a failed store fails its racing redeliveries too, and the next redelivery is stored', () => {
    const { sinkWith, held } = heldSink();
    const i = ingest(sinkWith);
    const diskFull = Object.assign(new Error('disk full'), { code: 'ATALAYA_BUFFER_WRITE_FAILED' });
    const first = handled(i, msg(9));
    const again = handled(i, msg(9));
    held[0]?.settle(diskFull);
    expect(first.ended()).toEqual([diskFull, undefined]);
    expect(again.ended()).toEqual([diskFull, undefined]);
    const retry = handled(i, msg(9));
    expect(held).toHaveLength(2);
    held[1]?.settle();
    expect(retry.ended()).toEqual([null, { status: 'stored', records: 1 }]);
  });
});
