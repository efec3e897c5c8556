import type { Ingest, IngestCallback, IngestOutcome } from './ingest.ts';
import type { MappedIngest } from './mapping-ingest.ts';

/** What the gate hands device input to: native ingest (ingest.ts), with the mappings beside it. */
export interface DeviceInput {
  /** Device input: consumed, never routed to subscribers nor retained. */
  isIngestTopic(topic: string): boolean;
  /** Settles once the records are committed (or the message refused): the PUBACK waits for it. */
  handle(topic: string, payload: Buffer): Promise<IngestOutcome>;
  /** handle() with a callback, for the broker's hot path (ingest.ts handleWith); default: through handle(). */
  handleWith?(topic: string, payload: Buffer, done: IngestCallback): void;
  /** Whether a client's Will on an input topic is taken (a Sparkplug NDEATH); default: refused. */
  acceptsWill?(topic: string, payload: Buffer): boolean;
}

/** `<prefix>/in/…` to native ingest, claimed mapped topics to the mappings (mapping-ingest.ts). */
export class MappingDispatch implements DeviceInput {
  constructor(
    private readonly native: Ingest,
    private readonly mapped: MappedIngest,
  ) {}

  isIngestTopic(topic: string): boolean {
    return this.native.isIngestTopic(topic) || this.mapped.claims(topic);
  }

  handle(topic: string, payload: Buffer): Promise<IngestOutcome> {
    return this.native.isIngestTopic(topic) ? this.native.handle(topic, payload) : this.mapped.handle(topic, payload);
  }

  handleWith(topic: string, payload: Buffer, done: IngestCallback): void {
    if (this.native.isIngestTopic(topic)) return this.native.handleWith(topic, payload, done);
    this.mapped.handle(topic, payload).then(
      (outcome) => done(null, outcome),
      (err: unknown) => done(err),
    );
  }

  acceptsWill(topic: string, payload: Buffer): boolean {
    return !this.native.isIngestTopic(topic) && this.mapped.claims(topic) && this.mapped.acceptsWill(topic, payload);
  }
}
