import type { Ingest, IngestOutcome } from './ingest.ts';
import type { MappedIngest } from './mapping-ingest.ts';

/** What the gate hands device input to: native ingest (ingest.ts), with the mappings beside it. */
export interface DeviceInput {
  /** Device input: consumed, never routed to subscribers nor retained. */
  isIngestTopic(topic: string): boolean;
  /** Settles once the records are committed (or the message refused): the PUBACK waits for it. */
  handle(topic: string, payload: Buffer): Promise<IngestOutcome>;
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

  acceptsWill(topic: string, payload: Buffer): boolean {
    return !this.native.isIngestTopic(topic) && this.mapped.claims(topic) && this.mapped.acceptsWill(topic, payload);
  }
}
