/** Anchored events for one root, as a receipt or eth_getLogs returns them. */
import type { Log } from 'ethers';
import { ANCHORED_TOPIC, anchorInterface } from '../../cloud/anchor/contract/abi.ts';
import type { ProofDocument } from '../../protocols/anchor/document.ts';

export interface AnchoredLog {
  readonly log: Log;
  readonly batchId: number;
  readonly treeSize: number;
}

/** Addresses and hashes compare case-insensitively (EIP-55 checksums are mixed case). */
export const sameHex = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The Anchored events for `root` (64 hex) among `logs`; lookalikes whose data does not decode are skipped. */
export function anchoredLogs(logs: readonly Log[], root: string): AnchoredLog[] {
  const out: AnchoredLog[] = [];
  for (const log of logs) {
    if (log.topics[0] !== ANCHORED_TOPIC || log.topics[1] === undefined || !sameHex(log.topics[1], `0x${root}`)) continue;
    try {
      const parsed = anchorInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed !== null) out.push({ log, batchId: Number(parsed.args[1] as bigint), treeSize: Number(parsed.args[2] as bigint) });
    } catch {
      // Not decodable as Anchored(bytes32,uint64,uint64): not an anchor.
    }
  }
  return out;
}

/** The event matching the batch best (size and id, then size alone), earliest first: the most confirmations. */
export function pickEvent(events: readonly AnchoredLog[], batch: ProofDocument['batch']): AnchoredLog | undefined {
  const sorted = [...events].sort((a, b) => a.log.blockNumber - b.log.blockNumber || a.log.index - b.log.index);
  return sorted.find((e) => e.treeSize === batch.treeSize && e.batchId === batch.id) ?? sorted.find((e) => e.treeSize === batch.treeSize);
}
