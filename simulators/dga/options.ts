import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { DgaSimConfigProblem } from './errors.ts';
import type { DgaFaults } from './faults.ts';
import { checkFaults } from './faults.ts';
import { checkObra, checkRut } from './fields.ts';
import type { Random } from './store.ts';
import type { Failure, FailureStatus, RegistryEntry } from './types.ts';
import { DEFAULT_FAILURE_STATUS, FAILURES, OBRA_KINDS } from './types.ts';

/** The project's WSDL (protocols/dga/soap), the one the client uses. */
export const PROJECT_WSDL = fileURLToPath(new URL('../../protocols/dga/soap/dga.wsdl', import.meta.url));

export interface ListenOptions {
  /** Interface, e.g. '127.0.0.1'. */
  readonly host: string;
  /** TCP port 0..65535; 0 picks a free one (read restPort/soapPort after start()). */
  readonly port: number;
}

export interface DgaSimulatorOptions {
  /** Serve the REST API (current, Res. 2.170/2025) under /api/v1. */
  readonly rest?: ListenOptions;
  /** Serve the legacy SOAP service; `wsdlPath` defaults to PROJECT_WSDL. */
  readonly soap?: ListenOptions & { readonly wsdlPath?: string };
  /** "Now" for the future-measurement check, burst windows and the log. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** The obras DGA knows, with their informant, Centro de Control and password. */
  readonly registry: readonly RegistryEntry[];
  readonly faults?: DgaFaults;
  /** Receipts and fault draws; default Math.random. Overrides `seed`. */
  readonly random?: Random;
  /** Seed of a reproducible random source when `random` is not given. */
  readonly seed?: number;
  /** Per failure overrides of the HTTP status, REST status and SOAP Code (defaults are guesses: types.ts). */
  readonly statuses?: Partial<Record<Failure, Partial<FailureStatus>>>;
}

export function resolveStatuses(overrides: DgaSimulatorOptions['statuses']): Record<Failure, FailureStatus> {
  const out = { ...DEFAULT_FAILURE_STATUS };
  for (const f of FAILURES) out[f] = { ...out[f], ...overrides?.[f] };
  return out;
}

/** Every problem in the options at once, each with its path. */
export function checkOptions(o: DgaSimulatorOptions): DgaSimConfigProblem[] {
  const problems: DgaSimConfigProblem[] = [];
  const at = (path: string, problem: string): void => void problems.push({ path, problem });
  if (o.rest === undefined && o.soap === undefined) at('rest', 'give rest, soap or both');
  for (const key of ['rest', 'soap'] as const) {
    const l = o[key];
    if (l === undefined) continue;
    if (typeof l.host !== 'string' || l.host === '') at(`${key}.host`, 'expected a host name or address');
    if (!Number.isInteger(l.port) || l.port < 0 || l.port > 65535) at(`${key}.port`, 'expected an integer 0..65535');
  }
  const seen = new Set<string>();
  o.registry.forEach((e, i) => {
    const p = `registry[${i}]`;
    const obraProblem = typeof e.obra === 'string' ? checkObra(e.obra) : 'expected a string';
    if (obraProblem !== undefined) at(`${p}.obra`, obraProblem);
    else if (seen.has(e.obra)) at(`${p}.obra`, `${e.obra} is listed twice`);
    seen.add(e.obra);
    if (!(OBRA_KINDS as readonly string[]).includes(e.kind)) at(`${p}.kind`, `expected one of ${OBRA_KINDS.join(', ')}`);
    for (const f of ['informantRut', 'rutEmpresa'] as const) {
      const bad = typeof e[f] === 'string' ? checkRut(f, e[f]) : 'expected a string';
      if (bad !== undefined) at(`${p}.${f}`, bad);
    }
    if (typeof e.password !== 'string' || e.password === '') at(`${p}.password`, 'expected a non-empty string');
    if (e.allowEmptyLevel !== undefined && typeof e.allowEmptyLevel !== 'boolean') at(`${p}.allowEmptyLevel`, 'expected a boolean');
  });
  if (o.faults !== undefined) problems.push(...checkFaults(o.faults, 'faults'));
  for (const [f, s] of Object.entries(o.statuses ?? {})) {
    if (!(FAILURES as readonly string[]).includes(f)) {
      at(`statuses.${f}`, `unknown failure; expected one of ${FAILURES.join(', ')}`);
      continue;
    }
    if (s.http !== undefined && !(Number.isInteger(s.http) && s.http >= 400 && s.http <= 599)) at(`statuses.${f}.http`, 'expected an HTTP status 400..599');
    if (s.status !== undefined && (typeof s.status !== 'string' || s.status === '' || s.status === '00'))
      at(`statuses.${f}.status`, 'expected a non-empty string other than "00"');
    if (s.soapCode !== undefined && (typeof s.soapCode !== 'string' || s.soapCode === '' || s.soapCode === '0'))
      at(`statuses.${f}.soapCode`, 'expected a non-empty string other than "0"');
  }
  if (o.seed !== undefined && !Number.isInteger(o.seed)) at('seed', 'expected an integer');
  return problems;
}
