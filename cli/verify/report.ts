/** The human text of `atalaya verify`: the verdict first, then what was checked, then warnings. */
import { exitCodeOf, type VerifyResult } from './result.ts';

function recordLine(r: NonNullable<VerifyResult['record']>): string {
  const quality = r.quality === 'exception' && r.exception !== null ? `exception ${r.exception}` : r.quality;
  const value = r.value === null ? `no value (${quality})` : `${r.value}${r.unit === '' ? '' : ` ${r.unit}`} (${quality})`;
  const alarm =
    r.alarm === undefined
      ? ''
      : `, alarm ${r.alarm.rule} ${r.alarm.level} ${r.alarm.state}${r.alarm.threshold === null ? '' : ` at threshold ${r.alarm.threshold}`}`;
  return `${r.gateway} seq ${r.seq}: ${r.kind} ${r.device}/${r.channel} = ${value}${alarm}, at ${r.ts}`;
}

function verdict(result: VerifyResult): string {
  if (result.ok) {
    const a = result.anchor;
    return a === undefined ? 'VERIFIED' : `VERIFIED: the record is in batch ${result.batch?.id ?? '?'}, whose root is anchored on chain ${a.chainId}`;
  }
  const head = exitCodeOf(result.reason) === 2 ? 'CANNOT VERIFY' : 'NOT VERIFIED';
  return `${head} (${result.reason ?? 'unknown'}): ${result.detail ?? ''}`;
}

export function humanReport(result: VerifyResult): string {
  const rows: [string, string][] = [];
  if (result.record !== undefined) rows.push(['record', recordLine(result.record)]);
  if (result.leaf !== undefined && result.batch !== undefined) {
    rows.push(['leaf', `${result.leaf.index} of ${result.leaf.treeSize} in batch ${result.batch.id} (leaf hash ${result.leaf.hash})`]);
    rows.push(['root', result.batch.root]);
  }
  const a = result.anchor;
  if (a !== undefined) {
    rows.push(['contract', `${a.contract} (owner ${a.owner ?? 'unknown: owner() did not answer'})${a.pinned ? ', the published address' : ''}`]);
    rows.push(['transaction', `${a.txHash}${a.foundBy === 'logs' ? ' (found by its event, not the proof’s transaction)' : ''}`]);
    rows.push(['block', `${a.blockNumber} ${a.blockHash}${a.blockTime === null ? '' : ` at ${a.blockTime}`}`]);
    rows.push(['confirmations', `${a.confirmations} (${a.requiredConfirmations} required)`]);
  }
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  const lines = [verdict(result), ...(rows.length > 0 ? [''] : []), ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)];
  if (result.warnings.length > 0) lines.push('', ...result.warnings.map((w) => `warning: ${w}`));
  return `${lines.join('\n')}\n`;
}
