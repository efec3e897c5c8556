/**
 * Encoding and decoding against the committed artifact (protocols/anchor/contract/artifact.ts):
 * the anchor(bytes32,uint64,uint64) call and its Anchored(bytes32 indexed, uint64 indexed, uint64)
 * event.
 */
import { Interface, type Log } from 'ethers';
import { ANCHOR_ARTIFACT } from '../../../protocols/anchor/contract/artifact.ts';

export const anchorInterface = new Interface(ANCHOR_ARTIFACT.abi as unknown as string[]);
/** topic0 of Anchored. */
export const ANCHORED_TOPIC: string = anchorInterface.getEvent('Anchored')?.topicHash ?? '';

/** Calldata of anchor(root, batchId, treeSize); root as 64 hex digits with or without 0x. */
export function anchorCallData(root: string, batchId: number, treeSize: number): string {
  return anchorInterface.encodeFunctionData('anchor', [root.startsWith('0x') ? root : `0x${root}`, batchId, treeSize]);
}

export interface AnchoredEvent {
  readonly contract: string;
  /** 64 lowercase hex digits, no 0x. */
  readonly root: string;
  readonly batchId: number;
  readonly treeSize: number;
}

/** The Anchored events among a receipt's logs. */
export function anchoredEvents(logs: readonly Pick<Log, 'address' | 'topics' | 'data'>[]): AnchoredEvent[] {
  const events: AnchoredEvent[] = [];
  for (const log of logs) {
    if (log.topics[0] !== ANCHORED_TOPIC) continue;
    const parsed = anchorInterface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed === null) continue;
    events.push({
      contract: log.address,
      root: (parsed.args[0] as string).slice(2).toLowerCase(),
      batchId: Number(parsed.args[1] as bigint),
      treeSize: Number(parsed.args[2] as bigint),
    });
  }
  return events;
}
