import { JsonRpcProvider, Network } from 'ethers';
import { Batcher } from '../cloud/anchor/batcher.ts';
import { Chain } from '../cloud/anchor/chain.ts';
import { deployAnchorContract } from '../cloud/anchor/contract/deploy.ts';
import { loadAnchorKey } from '../cloud/anchor/key.ts';
import { dayRange } from '../cloud/anchor/period.ts';
import { type BatchVerification, verifyDb } from '../cloud/anchor/verify-db.ts';
import type { RelayConfig } from '../cloud/config/schema.ts';
import type { AnchorBatch, AnchorStore } from '../cloud/store/anchor-types.ts';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { rootLogger } from './logger.ts';
import { auditFromCli } from './relay-audit.ts';
import { withRelayDatabase } from './relay-database.ts';

export const ANCHOR_HELP = `atalaya relay anchor deploy            deploy the AtalayaAnchor contract with the anchoring key; prints its address
atalaya relay anchor now               close the current period now: batch every record not yet anchored
atalaya relay anchor date YYYY-MM-DD   batch what was received that day (anchor.timezone) and is not yet anchored
atalaya relay anchor status [--json]   batches: status, root, transaction, block, gas, cost
atalaya relay anchor errors [--json]   what failed talking to the chain, newest first
atalaya relay verify-db [--json]       recompute every batch root from stored records and check it on chain

The running relay signs and sends the batches 'now' and 'date' create on its next tick.
The key comes from ATALAYA_ANCHOR_KEY or anchor.keyFile; it is never printed.
`;

/** Runs `fn` on the anchoring store of the relay's database. */
function withStore<T>(config: RelayConfig, fn: (store: AnchorStore) => Promise<T>): Promise<T> {
  return withRelayDatabase(config.storage, (database) => fn(database.anchor));
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function formatBatches(batches: readonly AnchorBatch[]): string {
  const rows = [['BATCH', 'STATUS', 'RECORDS', 'PERIOD END', 'ROOT', 'TX', 'BLOCK', 'GAS', 'COST WEI']];
  for (const b of batches) {
    rows.push([
      String(b.id),
      b.status,
      String(b.size),
      iso(b.periodEnd),
      b.root?.slice(0, 16) ?? '-',
      b.txHash?.slice(0, 18) ?? '-',
      String(b.blockNumber ?? '-'),
      String(b.gasUsed ?? '-'),
      b.costWei ?? '-',
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

function formatCheck(v: BatchVerification): string {
  return `batch ${v.batch} (${v.status}, ${v.size} records): ${v.check}${v.detail === undefined ? '' : ` (${v.detail})`}\n`;
}

export interface AnchorCommandInput {
  readonly sub: string | undefined;
  readonly args: readonly string[];
  readonly json: boolean;
}

export async function anchorCommand(input: AnchorCommandInput, config: RelayConfig): Promise<number> {
  const fail = (message: string, code = 2): number => {
    process.stderr.write(`atalaya relay anchor: ${message}\n`);
    return code;
  };
  const a = config.anchor;
  try {
    switch (input.sub) {
      case 'deploy': {
        if (a.rpcUrl === undefined || a.chainId === undefined) return fail('anchor.rpcUrl and anchor.chainId are needed in the config');
        const key = loadAnchorKey(a.keyFile, process.env);
        if (key.looselyPermitted) process.stderr.write(`warning: ${key.source} is readable by group or others: chmod 600 it\n`);
        const provider = new JsonRpcProvider(a.rpcUrl, Network.from(a.chainId), { staticNetwork: true });
        try {
          const d = await deployAnchorContract(key.wallet.connect(provider));
          process.stdout.write(`${d.address}\n`);
          await auditFromCli(config, { action: 'anchor.manual', target: d.address, details: { action: 'deploy', txHash: d.txHash, chainId: a.chainId } });
          process.stderr.write(
            `AtalayaAnchor deployed by ${d.owner} in ${d.txHash} (block ${d.blockNumber}, ${d.gasUsed} gas).\nSet in relay.yaml:\nanchor:\n  enabled: true\n  contract: "${d.address}"\nand publish the address: verifiers pass it as --contract.\n`,
          );
        } finally {
          provider.destroy();
        }
        return 0;
      }
      case 'now':
      case 'date': {
        let range: { start: number; end: number } | undefined;
        if (input.sub === 'date') {
          range = input.args.length === 1 ? dayRange(input.args[0]!, a.timezone) : undefined;
          if (range === undefined) return fail('expected date YYYY-MM-DD');
        } else if (input.args.length > 0) return fail(`unexpected '${input.args.join(' ')}'`);
        const batch = await withStore(config, (store) => {
          const batcher = new Batcher({ store, clock: systemClock, logger: rootLogger('warn', 2) });
          return range === undefined ? batcher.cut(systemClock.now()) : batcher.cut(range.end, range.start);
        });
        await auditFromCli(config, {
          action: 'anchor.manual',
          target: batch === undefined ? null : `batch ${batch.id}`,
          details: { action: input.sub, ...(input.sub === 'date' ? { date: input.args[0] } : {}), size: batch?.size ?? 0 },
        });
        if (batch === undefined) {
          // --json stays parseable: null where a batch would be.
          process.stdout.write(input.json ? 'null\n' : 'nothing to anchor: no record outside a batch in that period\n');
          return 0;
        }
        if (input.json) process.stdout.write(`${JSON.stringify(batch, null, 2)}\n`);
        else process.stdout.write(`batch ${batch.id}: ${batch.size} records, root ${batch.root}; the relay anchors it on its next tick\n`);
        return 0;
      }
      case 'status':
      case 'errors': {
        if (input.args.length > 0) return fail(`unexpected '${input.args.join(' ')}'`);
        if (input.sub === 'status') {
          const batches = await withStore(config, (store) => store.listBatches({ limit: 100 }));
          process.stdout.write(input.json ? `${JSON.stringify({ batches }, null, 2)}\n` : formatBatches(batches));
        } else {
          const errors = await withStore(config, (store) => store.errors(100));
          if (input.json) process.stdout.write(`${JSON.stringify({ errors }, null, 2)}\n`);
          else
            for (const e of errors)
              process.stdout.write(
                `${iso(e.at)}  ${e.code}${e.count > 1 ? ` ×${e.count} (last ${iso(e.lastAt)})` : ''}  batch ${e.batchId ?? '-'}: ${e.message}\n`,
              );
        }
        return 0;
      }
      default:
        return fail(`expected deploy, now, date, status or errors\n\n${ANCHOR_HELP}`);
    }
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    return fail(err.message, 1);
  }
}

/** Exit 0 when every anchored batch checks out, 1 when any does not. */
export async function verifyDbCommand(config: RelayConfig, json: boolean): Promise<number> {
  const a = config.anchor;
  const chain = a.rpcUrl !== undefined && a.chainId !== undefined ? new Chain(a.rpcUrl, a.chainId, a.rpcTimeoutMs) : undefined;
  try {
    const results = await withStore(config, (store) => verifyDb(store, chain, a.contract, json ? undefined : (v) => process.stdout.write(formatCheck(v))));
    const bad = results.filter((v) => v.check !== 'ok' && v.check !== 'not_anchored');
    if (json) process.stdout.write(`${JSON.stringify({ ok: bad.length === 0, batches: results }, null, 2)}\n`);
    else process.stdout.write(`${results.length} batches checked, ${bad.length} with problems\n`);
    return bad.length === 0 ? 0 : 1;
  } finally {
    chain?.destroy();
  }
}
