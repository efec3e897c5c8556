/**
 * `atalaya relay dga evidence <obra> <from> <to> [--out FILE]`: the obra's inspection evidence pack
 * (cloud/dga/evidence.ts) from the relay's database, with anchoring proofs when the config names
 * the anchoring chain and contract. Read-only; the file is never overwritten.
 */
import { writeFileSync } from 'node:fs';
import { ProofService } from '../cloud/anchor/proofs.ts';
import type { RelayConfig } from '../cloud/config/schema.ts';
import { EvidenceBuilder } from '../cloud/dga/evidence.ts';
import { systemClock } from '../protocols/clock.ts';
import { slotDir } from '../protocols/dga/index.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { withRelayDatabase } from './relay-database.ts';
import { instant } from './relay-export.ts';

export async function evidenceCommand(input: { obra: string; from: string; to: string; out: string | undefined }, config: RelayConfig): Promise<number> {
  const fail = (message: string, code = 2): number => {
    process.stderr.write(`atalaya relay dga evidence: ${message}\n`);
    return code;
  };
  const from = instant('from', input.from);
  const to = instant('to', input.to);
  if (from instanceof Error) return fail(from.message.replace('--from', '<from>'));
  if (to instanceof Error) return fail(to.message.replace('--to', '<to>'));
  if (from >= to) return fail('<from> must be before <to>');
  const { chainId, contract, confirmations } = config.anchor;
  const anchoring = chainId === undefined || contract === undefined ? null : { chainId, contract };
  const out = input.out ?? `${input.obra}-evidence-${slotDir(from)}-${slotDir(to)}.zip`;
  try {
    const pack = await withRelayDatabase(config.storage, ({ records, dga, anchor }) => {
      const proofs =
        anchoring === null ? undefined : new ProofService({ store: anchor, chainId: anchoring.chainId, contract: anchoring.contract, confirmations });
      const builder = new EvidenceBuilder({
        config: config.dga,
        records,
        queue: dga,
        anchoring,
        clock: systemClock,
        ...(proofs === undefined ? {} : { proof: (g: string, s: number) => proofs.proof(g, s) }),
      });
      return builder.build(input.obra, from, to);
    });
    writeFileSync(out, pack.zip, { flag: 'wx' });
    const m = pack.manifest;
    const pending = m.readings.filter((r) => r.status === 'not_anchored').length;
    process.stderr.write(
      `${out}: ${m.slots.length} slot(s), ${m.readings.length} reading(s) (${pending} not anchored yet), ${pack.zip.length} bytes\nmanifest.json sha256 ${pack.manifestSha256}\n`,
    );
    if (anchoring === null) process.stderr.write('warning: anchor.chainId and anchor.contract are not set in the config: the pack has no anchoring proofs\n');
    return 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fail(`${out} exists: a pack is never overwritten`, 1);
    if (!isAtalayaError(err)) throw err;
    return fail(`${err.message} (${err.code})`, 1);
  }
}
