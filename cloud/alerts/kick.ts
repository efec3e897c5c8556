/**
 * The records store as ingest sees it, telling the alerts when a batch with alarm records has
 * committed, so the engine's next pass runs at once instead of at its next tick: the latency from
 * an alarm record to its message is then the sync's, not the tick's. `observe` gets every
 * committed batch (the device-fault tracker: device-faults.ts), before the answer to the gateway.
 */
import type { IngestInput, RelayStore } from '../store/types.ts';

export function kickOnAlarms(store: RelayStore, kick: () => void, observe?: (input: IngestInput) => Promise<void>): RelayStore {
  return {
    start: () => store.start(),
    stop: () => store.stop(),
    addGateway: (id, secret, now) => store.addGateway(id, secret, now),
    getGateway: (id) => store.getGateway(id),
    listGateways: () => store.listGateways(),
    claimNonce: (gateway, nonce, expiresAt, now) => store.claimNonce(gateway, nonce, expiresAt, now),
    ingest: async (input) => {
      const outcome = await store.ingest(input);
      if (outcome.ok && outcome.stored > 0 && observe !== undefined) await observe(input);
      if ((outcome.ok && outcome.stored > 0 && input.records.some((r) => r.kind === 'alarm')) || !outcome.ok) kick();
      return outcome;
    },
    queryRecords: (query) => store.queryRecords(query),
    integrityAlarms: (limit) => store.integrityAlarms(limit),
  };
}
