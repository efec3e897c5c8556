import type { RelayConfig } from '../cloud/config/schema.ts';
import { createDgaClients } from '../cloud/dga/clients.ts';
import type { TickReport } from '../cloud/dga/engine.ts';
import { DgaEngine } from '../cloud/dga/engine.ts';
import type { DgaObraStatus } from '../cloud/dga/status.ts';
import { loadRelayKey } from '../cloud/secrets.ts';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { readLine } from '../protocols/read-line.ts';
import { rootLogger } from './logger.ts';
import { auditFromCli } from './relay-audit.ts';
import { withRelayDatabase } from './relay-database.ts';
import { REVIEW_HELP, reviewCommand } from './relay-dga-review.ts';

export const DGA_HELP = `atalaya relay dga status [--obra CODE] [--json]   per obra: last accepted slot, queued, late, refusals
atalaya relay dga send-pending                     one pass now: derive due slots, send what the rules allow
atalaya relay dga retry <obra> <slot>              a failed/rejected slot back to the queue (never an accepted one)
atalaya relay dga credentials <obra> --rut-usuario RUT --rut-empresa RUT
                                                   store the obra's DGA credentials encrypted; password on stdin
atalaya relay dga evidence <obra> <from> <to> [--out FILE]
                                                   inspection evidence pack (zip) of the slots in [from, to);
                                                   check it with 'atalaya verify FILE --rpc URL --contract ADDRESS'
${REVIEW_HELP}`;

export interface DgaCommandInput {
  readonly sub: string | undefined;
  readonly args: readonly string[];
  readonly obra: string | undefined;
  readonly json: boolean;
  readonly rutUsuario: string | undefined;
  readonly rutEmpresa: string | undefined;
  readonly out?: string | undefined;
  /** review: who acts (default cli:<user>), why, and corrected values (field=value). */
  readonly by?: string | undefined;
  readonly reason?: string | undefined;
  readonly set?: readonly string[];
}

/** Runs `fn` on an engine over the relay's database (not started: no tick, no recovery, unless the command asks). */
async function withEngine<T>(config: RelayConfig, fn: (engine: DgaEngine) => Promise<T>): Promise<T> {
  const logger = rootLogger('warn', 2);
  const key = loadRelayKey(config.keyFile, process.env).key;
  return withRelayDatabase(
    config.storage,
    async ({ records, dga: queue }) => {
      const engine = new DgaEngine({ config: config.dga, records, queue, key, clients: createDgaClients(config.dga, logger), clock: systemClock, logger });
      try {
        return await fn(engine);
      } finally {
        await engine.stop();
      }
    },
    logger,
  );
}

export async function dgaCommand(input: DgaCommandInput, config: RelayConfig): Promise<number> {
  const fail = (message: string, code = 2): number => {
    process.stderr.write(`atalaya relay dga: ${message}\n`);
    return code;
  };
  try {
    switch (input.sub) {
      case 'status': {
        if (input.args.length > 0) return fail(`unexpected '${input.args.join(' ')}'`);
        const statuses = await withEngine(config, (e) => e.status(input.obra));
        if (input.json) process.stdout.write(`${JSON.stringify({ enabled: config.dga.enabled, obras: statuses }, null, 2)}\n`);
        else process.stdout.write(formatStatus(statuses, config.dga.enabled));
        return 0;
      }
      case 'send-pending': {
        if (input.args.length > 0) return fail(`unexpected '${input.args.join(' ')}'`);
        if (!config.dga.enabled) return fail('dga.enabled is false in the config: nothing is sent', 1);
        const report = await withEngine(config, async (e) => {
          await e.start();
          return e.tick();
        });
        process.stdout.write(formatTick(report));
        return 0;
      }
      case 'retry': {
        const [obra, slot, ...extra] = input.args;
        if (obra === undefined || slot === undefined || extra.length > 0)
          return fail('expected retry <obra> <slot> (slot: 2025-06-16T10:00:00-04:00 or epoch ms)');
        const r = await withEngine(config, (e) => e.retry(obra, slot));
        await auditFromCli(config, { action: 'dga.retry', target: `${r.obra}/${r.slot}`, obra: r.obra, details: { from: r.from, to: r.to } });
        process.stdout.write(`${r.obra} ${r.slot}: ${r.from} → ${r.to}${r.to === 'pending' ? ' (sent at the next tick, spacing permitting)' : ''}\n`);
        if (r.obraStopped)
          process.stderr.write(`warning: ${r.obra} is stopped (not the registered informant); nothing is sent until its credentials are set again\n`);
        return 0;
      }
      case 'credentials': {
        const [obra, ...extra] = input.args;
        if (obra === undefined || extra.length > 0) return fail('expected credentials <obra> --rut-usuario RUT --rut-empresa RUT (password on stdin)');
        if (input.rutUsuario === undefined || input.rutEmpresa === undefined) return fail('--rut-usuario and --rut-empresa are required');
        if (process.stdin.isTTY === true) process.stderr.write(`DGA password for ${obra}: `);
        const password = await readLine(process.stdin);
        if (password === '') return fail('empty password refused');
        const resumed = await withEngine(config, (e) => e.setCredentials(obra, { rutUsuario: input.rutUsuario!, rutEmpresa: input.rutEmpresa!, password }));
        // The RUTs say whose credentials they are; the password never reaches the audit.
        await auditFromCli(config, { action: 'dga.credentials', target: obra, obra, details: { rutUsuario: input.rutUsuario, rutEmpresa: input.rutEmpresa } });
        process.stderr.write(
          `credentials of ${obra} stored, encrypted with the relay key${resumed > 0 ? `; ${resumed} slot(s) held back for the informant are queued again` : ''}\n`,
        );
        return 0;
      }
      case 'evidence': {
        const [obra, from, to, ...extra] = input.args;
        if (obra === undefined || from === undefined || to === undefined || extra.length > 0)
          return fail('expected evidence <obra> <from> <to> (epoch ms or ISO 8601 with an offset)');
        return (await import('./relay-evidence.ts')).evidenceCommand({ obra, from, to, out: input.out }, config);
      }
      case 'review':
        return await reviewCommand(
          input,
          (fn) => withEngine(config, fn),
          fail,
          (entry) => auditFromCli(config, entry),
        );
      default:
        return fail(`expected status, send-pending, retry, credentials, evidence or review\n\n${DGA_HELP}`);
    }
  } catch (err) {
    // Coded: unknown obra or slot, accepted slot, bad RUT, wrong key, store down. Said plainly, no stack.
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya relay dga: ${err.message} (${err.code})\n`);
    return 1;
  }
}

function formatStatus(statuses: readonly DgaObraStatus[], enabled: boolean): string {
  const lines: string[] = [];
  if (!enabled) lines.push('dga.enabled is false: the relay derives and sends nothing', '');
  if (statuses.length === 0) lines.push('no obras under dga.obras');
  for (const s of statuses) {
    const c = s.counts;
    lines.push(`${s.obra}  ${s.kind}  ${s.standard}  ${s.interface}  ${s.gateway}/${s.device}`);
    if (!s.credentials) lines.push(`  credentials: NOT SET, nothing is sent (atalaya relay dga credentials ${s.obra} --rut-usuario … --rut-empresa …)`);
    if (s.stopped !== null) lines.push(`  STOPPED since ${s.stopped.at}: ${s.stopped.reason} (set its credentials again once fixed)`);
    lines.push(
      `  last accepted: ${s.lastAccepted === null ? '-' : `${s.lastAccepted.slot} (receipt ${s.lastAccepted.receipt ?? '-'}, at ${s.lastAccepted.acceptedAt})`}`,
    );
    lines.push(`  derived through: ${s.derivedThrough ?? '-'}; queued: ${c.pending} pending, ${c.sending} sending; next due: ${s.nextDueAt ?? '-'}`);
    lines.push(
      `  accepted ${c.accepted} (${s.acceptedLate} late), rejected ${c.rejected}, failed ${c.failed}, needs-attention ${c['needs-attention']}, review ${c.review}, missing ${c.missing}`,
    );
    lines.push(`  transmission failures (not accepted within 1 h of the slot): ${s.lateUnsent}`);
    for (const p of s.problems) {
      const retry = p.nextAttemptAt === null ? '' : `, next ${p.nextAttemptAt}`;
      const state = p.receiptIrregular ? 'ACCEPTED, CHECK RECEIPT' : p.state.padEnd(15);
      const receipt = p.receiptIrregular ? ` (receipt as given: ${p.receipt ?? 'none'})` : '';
      lines.push(`    ${p.slot}  ${state} ${p.attempts} attempt(s)${retry}  ${p.reason ?? ''}${receipt}`.trimEnd());
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function formatTick(report: TickReport): string {
  if (!report.ran) return report.reason === 'locked' ? 'another relay runs the DGA scheduler now: nothing done\n' : `nothing done (${report.reason})\n`;
  const lines = report.interrupted > 0 ? [`${report.interrupted} interrupted send(s) queued again`] : [];
  for (const o of report.obras) {
    const s = o.send;
    const sent =
      s.result === 'sent'
        ? `sent ${new Date(s.slot).toISOString()} → ${s.state} (${s.outcome})`
        : s.result === 'wait'
          ? `waiting (${s.reason})${s.until === null ? '' : ` until ${new Date(s.until).toISOString()}`}`
          : s.result === 'idle'
            ? `nothing due${s.nextDueAt === null ? '' : ` before ${new Date(s.nextDueAt).toISOString()}`}`
            : s.result === 'stopped'
              ? `STOPPED: ${s.reason}`
              : s.result === 'no-credentials'
                ? 'no credentials: nothing sent'
                : `error ${s.code}`;
    lines.push(`${o.obra}: derived ${o.derived} slot(s) (${o.missing} missing, ${o.review} held for review, ${o.recovered} recovered); ${sent}`);
  }
  return `${lines.join('\n')}\n`;
}
