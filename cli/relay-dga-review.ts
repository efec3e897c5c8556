/** `atalaya relay dga review …`: slots a plausibility check held, and a person's decision on each (docs/dga.md#review-before-sending). */
import { userInfo } from 'node:os';
import type { DgaEngine } from '../cloud/dga/engine.ts';
import { parseSlot } from '../cloud/dga/engine.ts';
import { CORRECTABLE, type DgaReviewItem } from '../cloud/dga/review.ts';
import { REVIEW_ACTIONS, type ReviewActionKind } from '../cloud/store/dga-types.ts';
import type { CliAuditEntry } from './relay-audit.ts';

/** What the review command reads of `atalaya relay dga`'s arguments. */
export interface ReviewCommandInput {
  readonly args: readonly string[];
  readonly obra: string | undefined;
  readonly json: boolean;
  readonly by?: string | undefined;
  readonly reason?: string | undefined;
  readonly set?: readonly string[];
}

type WithEngine = <T>(fn: (engine: DgaEngine) => Promise<T>) => Promise<T>;

export const REVIEW_HELP = `atalaya relay dga review list [--obra CODE] [--json]  slots held by a plausibility check, with findings
atalaya relay dga review approve <obra> <slot> [--by NAME] [--reason TEXT]   send the derived values
atalaya relay dga review correct <obra> <slot> --set caudal=4.8 [--set …] --reason TEXT [--by NAME]
                                                   send these values instead (${CORRECTABLE.join(', ')})
atalaya relay dga review mark-missing <obra> <slot> --reason TEXT [--by NAME]   never send it
                                                   --by: who acts, in the audit (default cli:<user>)
`;

/** Records a review action in the relay's audit (cli/relay-audit.ts). */
type Audit = (entry: CliAuditEntry) => Promise<boolean>;

export async function reviewCommand(
  input: ReviewCommandInput,
  withEngine: WithEngine,
  fail: (message: string, code?: number) => number,
  audit: Audit = async () => true,
): Promise<number> {
  const [action, obra, slot, ...extra] = input.args;
  if (action === 'list') {
    if (obra !== undefined) return fail(`unexpected '${input.args.slice(1).join(' ')}'`);
    const items = await withEngine((e) => e.review.list(input.obra));
    process.stdout.write(input.json ? `${JSON.stringify({ slots: items }, null, 2)}\n` : formatList(items));
    return 0;
  }
  if (action === undefined || !(REVIEW_ACTIONS as readonly string[]).includes(action))
    return fail(`expected review list, ${REVIEW_ACTIONS.join(', ')}\n\n${REVIEW_HELP}`);
  if (obra === undefined || slot === undefined || extra.length > 0)
    return fail(`expected review ${action} <obra> <slot> (slot: 2025-06-16T10:00:00-04:00 or epoch ms)`);
  const values: Record<string, number> = {};
  for (const pair of input.set ?? []) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(pair);
    const value = m === null ? Number.NaN : Number(m[2]);
    if (m === null || !Number.isFinite(value)) return fail(`--set ${pair}: expected field=number (${CORRECTABLE.join(', ')})`);
    values[m[1]!] = value;
  }
  if (action !== 'correct' && Object.keys(values).length > 0) return fail('--set is for correct only');
  const by = input.by ?? `cli:${userInfo().username}`;
  const r = await withEngine((e) =>
    e.review.act(obra, parseSlot(slot), action as ReviewActionKind, { actor: by, reason: input.reason, ...(action === 'correct' ? { values } : {}) }),
  );
  await audit({
    action: 'dga.review',
    target: `${obra}/${slot}`,
    obra,
    actor: by,
    details: { action, reason: input.reason ?? null, values: action === 'correct' ? values : null },
  });
  const what =
    r.measurement === null
      ? ''
      : ` (${Object.entries(r.measurement)
          .filter(([k]) => k !== 'at')
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`;
  process.stdout.write(
    `${r.obra} ${r.slot}: ${r.action} by ${by}: ${r.from} → ${r.to}${r.to === 'pending' ? ` (sent at the next tick, spacing permitting)${what}` : ''}\n`,
  );
  return 0;
}

function formatList(items: readonly DgaReviewItem[]): string {
  if (items.length === 0) return 'no slots in review\n';
  const lines: string[] = [];
  for (const s of items) {
    const values =
      s.measurement === null
        ? ''
        : Object.entries(s.measurement)
            .filter(([k]) => k !== 'at')
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
    lines.push(`${s.obra}  ${s.slot}${s.late ? '  LATE' : ''}  ${values}`);
    for (const f of s.findings) lines.push(`    ${f.code}: ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}
