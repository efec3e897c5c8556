/**
 * What a bench publisher sends per message, by payload format (issue 17 §5 figure: a mapped
 * message's cost beside a native one): Atalaya's own telemetry, a GASLYT-style device JSON read
 * through a JSON mapping, and a Sparkplug B DDATA with aliases only after its BIRTHs.
 */
import { birthPayload, dataPayload } from '../../simulators/mqtt/sparkplug-payloads.ts';

export const PAYLOAD_FORMATS = ['native', 'json', 'sparkplug'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export const INGEST_CHANNEL = 'bench';
const GROUP = 'bench';

/** The agent's mqtt.mappings for the mapped formats: one value per message, on INGEST_CHANNEL, like native. */
export const BENCH_MAPPINGS = [
  {
    name: 'bench-json',
    format: 'json',
    topic: 'gaslyt/{device}/data',
    fields: [{ path: 'CH4', channel: INGEST_CHANNEL, unit: '%LEL' }],
    time: { path: 'ts', format: 'epoch_ms' },
  },
  { name: 'bench-spb', format: 'sparkplug-b', group: GROUP, metrics: [{ name: 'Gas/CH4', channel: INGEST_CHANNEL, unit: '%LEL' }], otherMetrics: 'skip' },
];

/** ACL patterns the bench user needs for every format. */
export const BENCH_PUBLISH_ACL = ['atalaya/in/#', 'gaslyt/#', `spBv1.0/${GROUP}/#`];

export interface Stream {
  /** Messages to send once before the counted ones (Sparkplug BIRTHs), with their topics. */
  readonly preamble: readonly { topic: string; payload: Buffer }[];
  readonly topic: string;
  payload(seq: number): string | Buffer;
}

/** One publisher's stream of messages in a format; `device` is its client id. */
export function stream(format: PayloadFormat, device: string): Stream {
  switch (format) {
    case 'native':
      return {
        preamble: [],
        topic: `atalaya/in/${device}/telemetry`,
        payload: (seq) => `{"channel":"${INGEST_CHANNEL}","value":${(seq % 1000) / 10},"unit":"%LEL","ts":${Date.now()},"seq":${seq}}`,
      };
    case 'json':
      return {
        preamble: [],
        topic: `gaslyt/${device}/data`,
        payload: (seq) => `{"ts":${Date.now()},"CH4":${(seq % 1000) / 10},"H2S":0.4,"CO":2,"O2":20.9,"bat":3.9}`,
      };
    case 'sparkplug': {
      const node = (type: string): string => `spBv1.0/${GROUP}/${type}/${device}`;
      const now = Date.now();
      const preamble = [
        { topic: node('NBIRTH'), payload: Buffer.from(birthPayload({ timestamp: now, seq: 0, bdSeq: 0, metrics: [] })) },
        {
          topic: `${node('DBIRTH')}/det`,
          payload: Buffer.from(birthPayload({ timestamp: now, seq: 1, metrics: [{ name: 'Gas/CH4', alias: 1, type: 'Float', value: 0 }] })),
        },
      ];
      return {
        preamble,
        topic: `${node('DDATA')}/det`,
        // seq 2, 3, … after the BIRTHs (mod 256, §5.3): no gap counted.
        payload: (seq) =>
          Buffer.from(dataPayload({ timestamp: Date.now(), seq: (seq + 2) % 256, metrics: [{ alias: 1, type: 'Float', value: (seq % 1000) / 10 }] })),
      };
    }
  }
}
