import { describe, expect, it } from 'vitest';
import { ingestAckSchema, ingestErrorSchema } from '../../protocols/sync/schemas.ts';
import type { IngestAck } from '../../protocols/sync/types.ts';
import { INGEST_REFUSALS } from '../../protocols/sync/types.ts';

const ack: IngestAck = {
  gateway: 'gw-01',
  stored: 3,
  duplicates: 1,
  acknowledged: [
    [8, 10],
    [12, 12],
  ],
  highestSeq: 12,
  relayTime: 1_750_000_002_000,
};

describe('ingestAckSchema (the agent parsing the relay answer)', () => {
  it('parses an ack, dropping fields a newer relay may add', () => {
    expect(ingestAckSchema.parse(ack)).toEqual(ack);
    expect(ingestAckSchema.parse({ ...ack, region: 'sa-east' })).toEqual(ack);
  });

  it('refuses an ack the agent could release the wrong records on', () => {
    const bad: unknown[] = [
      { ...ack, acknowledged: [[10, 8]] },
      { ...ack, acknowledged: [[8]] },
      { ...ack, acknowledged: [[8, 2 ** 53]] },
      { ...ack, acknowledged: [[-1, 3]] },
      { ...ack, acknowledged: [[1.5, 3]] },
      { ...ack, stored: -1 },
      { ...ack, highestSeq: '12' },
      { ...ack, relayTime: undefined },
      { ...ack, gateway: '' },
    ];
    for (const b of bad) expect(ingestAckSchema.safeParse(b).success).toBe(false);
  });
});

describe('ingestErrorSchema', () => {
  it('parses every refusal code, with conflict seqs', () => {
    for (const error of INGEST_REFUSALS) expect(ingestErrorSchema.parse({ error, message: 'why' })).toEqual({ error, message: 'why' });
    expect(ingestErrorSchema.parse({ error: 'conflict', message: 'differs', seqs: [4, 9] }).seqs).toEqual([4, 9]);
  });

  it('refuses unknown codes and a missing message', () => {
    expect(ingestErrorSchema.safeParse({ error: 'teapot', message: 'x' }).success).toBe(false);
    expect(ingestErrorSchema.safeParse({ error: 'stale' }).success).toBe(false);
    expect(ingestErrorSchema.safeParse({ error: 'conflict', message: 'x', seqs: [-1] }).success).toBe(false);
  });
});
