import type { Clock } from '../../protocols/clock.ts';
import { checkAltura, checkCaudal, checkHora, checkNivel, checkRut, checkTotalizador, measurementInstant } from './fields.ts';
import type { MeasurementStore } from './store.ts';
import type { Failure, ObraKind, RegistryEntry, StoredMeasurement, Transport } from './types.ts';
import { duplicateMessage, INFORMANT_MESSAGE } from './types.ts';

/** A measurement send, already taken apart by its transport (REST JSON or SOAP XML). */
export interface Submission {
  readonly transport: Transport;
  readonly obra: string;
  /** The kind the request is shaped for (REST path, SOAP element). */
  readonly kind: ObraKind;
  readonly rutUsuario: string;
  readonly password: string;
  /** REST only: the legacy SOAP request has no Centro de Control. */
  readonly rutEmpresa?: string;
  /** YYYY-MM-DD, already checked by the transport (the SOAP form is dd-mm-yyyy). */
  readonly fechaMedicion: string;
  readonly horaMedicion: string;
  readonly caudal: string;
  readonly totalizador?: string;
  readonly nivelFreaticoDelPozo?: string;
  readonly alturaLimnimetrica?: string;
}

export type SubmitResult =
  | { readonly ok: true; readonly measurement: StoredMeasurement }
  | { readonly ok: false; readonly failure: Failure; readonly message: string; readonly original?: StoredMeasurement };

export interface DgaServiceOptions {
  readonly registry: readonly RegistryEntry[];
  readonly store: MeasurementStore;
  readonly clock: Clock;
}

/**
 * What DGA decides about a send once its transport has parsed it. Order: value formats, the
 * future, the obra and its kind, the informant, the password, the Centro de Control, then
 * duplicates; a request fails on the first problem.
 */
export class DgaService {
  private readonly registry: ReadonlyMap<string, RegistryEntry>;
  private readonly store: MeasurementStore;
  private readonly clock: Clock;

  constructor(options: DgaServiceOptions) {
    this.registry = new Map(options.registry.map((e) => [e.obra, e]));
    this.store = options.store;
    this.clock = options.clock;
  }

  entry(obra: string): RegistryEntry | undefined {
    return this.registry.get(obra);
  }

  submit(s: Submission): SubmitResult {
    const entry = this.registry.get(s.obra);
    const problem = this.fieldProblem(s, entry);
    if (problem !== undefined) return { ok: false, failure: 'field', message: problem };
    const measuredAt = measurementInstant(s.fechaMedicion, s.horaMedicion);
    if (measuredAt > this.clock.now()) {
      return { ok: false, failure: 'future', message: `fechaMedicion ${s.fechaMedicion} horaMedicion ${s.horaMedicion} (UTC-4) es posterior a la hora actual` };
    }
    if (entry === undefined) return { ok: false, failure: 'obraUnknown', message: `Obra ${s.obra} no existe` };
    if (entry.kind !== s.kind) return { ok: false, failure: 'kind', message: `Obra ${s.obra} no es de tipo ${s.kind} (registrada como ${entry.kind})` };
    if (!sameRut(s.rutUsuario, entry.informantRut)) return { ok: false, failure: 'informant', message: INFORMANT_MESSAGE };
    if (s.password !== entry.password) return { ok: false, failure: 'password', message: 'Usuario o password incorrecto' };
    if (s.rutEmpresa !== undefined && !sameRut(s.rutEmpresa, entry.rutEmpresa)) {
      return { ok: false, failure: 'empresa', message: `rutEmpresa ${s.rutEmpresa} no es el Centro de Control registrado para la Obra` };
    }
    const original = this.store.find(s.obra, s.fechaMedicion, s.horaMedicion);
    if (original !== undefined) return { ok: false, failure: 'duplicate', message: duplicateMessage(original.receipt), original };
    const measurement = this.store.add({
      obra: s.obra,
      kind: s.kind,
      fechaMedicion: s.fechaMedicion,
      horaMedicion: s.horaMedicion,
      caudal: s.caudal,
      ...(s.totalizador !== undefined ? { totalizador: s.totalizador } : {}),
      ...(s.nivelFreaticoDelPozo !== undefined ? { nivelFreaticoDelPozo: s.nivelFreaticoDelPozo } : {}),
      ...(s.alturaLimnimetrica !== undefined ? { alturaLimnimetrica: s.alturaLimnimetrica } : {}),
      measuredAt,
      receivedAt: this.clock.now(),
      transport: s.transport,
    });
    return { ok: true, measurement };
  }

  /** A stored measurement of `obra` by receipt; `kind` restricts it to one REST path. */
  lookup(obra: string, receipt: string, kind?: ObraKind): StoredMeasurement | undefined {
    const m = this.store.byReceiptFor(obra, receipt);
    return m !== undefined && (kind === undefined || m.kind === kind) ? m : undefined;
  }

  measurements(obra: string): StoredMeasurement[] {
    return this.store.list(obra);
  }

  private fieldProblem(s: Submission, entry: RegistryEntry | undefined): string | undefined {
    const allowEmptyLevel = s.transport === 'rest' && entry?.allowEmptyLevel === true;
    return (
      checkRut('rutUsuario', s.rutUsuario) ??
      (s.rutEmpresa === undefined ? undefined : checkRut('rutEmpresa', s.rutEmpresa)) ??
      checkHora(s.horaMedicion) ??
      checkCaudal(s.caudal) ??
      (s.totalizador === undefined ? undefined : checkTotalizador(s.totalizador)) ??
      (s.nivelFreaticoDelPozo === undefined ? undefined : checkNivel(s.nivelFreaticoDelPozo, allowEmptyLevel)) ??
      (s.alturaLimnimetrica === undefined ? undefined : checkAltura(s.alturaLimnimetrica, allowEmptyLevel))
    );
  }
}

/** RUTs compare with the check digit's case ignored (k ≡ K). */
function sameRut(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}
