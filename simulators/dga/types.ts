/**
 * Shapes shared by the DGA double's parts. The facts come from Res. Ex. DGA 2.170/2025 (Manual
 * Técnico N°1/2025) and the legacy SOAP XSDs; every answer code below that the manual does not
 * print is a GUESS and says so.
 */

/** Work kinds and their REST path and measurement key (Manual Técnico 1/2025 §4). */
export const OBRA_KINDS = ['subterranea', 'superficial-flujometro', 'superficial'] as const;
export type ObraKind = (typeof OBRA_KINDS)[number];

export const KIND_REST: Readonly<
  Record<ObraKind, { readonly path: string; readonly key: string; readonly fields: readonly string[]; readonly okMessage: string }>
> = {
  subterranea: {
    path: '/mediciones/subterraneas',
    key: 'medicionSubterranea',
    fields: ['caudal', 'fechaMedicion', 'horaMedicion', 'nivelFreaticoDelPozo', 'totalizador'],
    okMessage: 'Medición subterránea ingresada correctamente',
  },
  'superficial-flujometro': {
    path: '/mediciones/superficiales/flujometro',
    key: 'medicionSuperficialFlujometro',
    fields: ['caudal', 'fechaMedicion', 'horaMedicion', 'totalizador'],
    okMessage: 'Medición superficial con flujómetro ingresada correctamente',
  },
  superficial: {
    path: '/mediciones/superficiales',
    key: 'medicionSuperficial',
    fields: ['alturaLimnimetrica', 'caudal', 'fechaMedicion', 'horaMedicion'],
    okMessage: 'Medición superficial ingresada correctamente',
  },
};

/** The real service's base path (docs/dga.md#endpoints). */
export const REST_BASE_PATH = '/api/v1';
/** Path of the legacy SOAP endpoint on its host (docs/dga.md#endpoints). */
export const SOAP_PATH = '/controlextraccion/datosExtraccion/SendDataExtraccionService';

export interface RegistryEntry {
  /** `^O[BR]-\d{4}-\d+$`, e.g. OB-0602-7. */
  readonly obra: string;
  readonly kind: ObraKind;
  /** The informant registered for the obra (`rutUsuario` / SOAP `idUsuario/rut`), e.g. 20999888-7. */
  readonly informantRut: string;
  /** The Centro de Control (`rutEmpresa`). */
  readonly rutEmpresa: string;
  /** The informant's password. Never logged. */
  readonly password: string;
  /**
   * The level may be sent as "" (REST only; the legacy XSD types it xsd:decimal):
   * `nivelFreaticoDelPozo` for the "caudales muy pequeños" standard and mining water,
   * `alturaLimnimetrica` for that standard and automated gates (Manual Técnico 1/2025, notes to
   * the subterránea and superficial POSTs). Default false.
   */
  readonly allowEmptyLevel?: boolean;
}

/** A measurement as DGA holds it, values exactly as sent. `fechaMedicion` is YYYY-MM-DD. */
export interface StoredMeasurement {
  readonly obra: string;
  readonly kind: ObraKind;
  readonly receipt: string;
  /** Sequence number (SOAP getDataExtraccion `idMedicion`). */
  readonly id: number;
  readonly fechaMedicion: string;
  readonly horaMedicion: string;
  readonly caudal: string;
  readonly totalizador?: string;
  readonly nivelFreaticoDelPozo?: string;
  readonly alturaLimnimetrica?: string;
  /** The instant the measurement stands for (fecha + hora read in fixed UTC-4), ms since epoch. */
  readonly measuredAt: number;
  /** When the double stored it (injected clock), ms since epoch. */
  readonly receivedAt: number;
  readonly transport: Transport;
}

export type Transport = 'rest' | 'soap';

/**
 * Why a request is refused. Each has an HTTP status, a REST `status` and a SOAP `Code`,
 * configurable through `statuses`.
 */
export const FAILURES = [
  'header',
  'query',
  'body',
  'field',
  'future',
  'obraUnknown',
  'kind',
  'informant',
  'password',
  'empresa',
  'duplicate',
  'notFound',
] as const;
export type Failure = (typeof FAILURES)[number];

export interface FailureStatus {
  /** HTTP status of the REST answer, 400..599. */
  readonly http: number;
  /** REST `status`: any string but "00". */
  readonly status: string;
  /** SOAP `status/Code`: any string but "0". */
  readonly soapCode: string;
}

/**
 * Defaults. The manual prints only "00" = OK (§5.1) and says any other value is an error; the
 * duplicate and informant answers are HTTP 400 with the messages public clients match (docs/dga.md#answers). Every code here, and the HTTP status of all but those two, is a GUESS.
 */
export const DEFAULT_FAILURE_STATUS: Readonly<Record<Failure, FailureStatus>> = {
  header: { http: 400, status: '01', soapCode: '1' },
  query: { http: 400, status: '01', soapCode: '1' },
  body: { http: 400, status: '02', soapCode: '2' },
  field: { http: 400, status: '03', soapCode: '3' },
  future: { http: 400, status: '04', soapCode: '4' },
  obraUnknown: { http: 400, status: '05', soapCode: '5' },
  kind: { http: 400, status: '06', soapCode: '6' },
  password: { http: 401, status: '07', soapCode: '7' },
  empresa: { http: 400, status: '08', soapCode: '8' },
  informant: { http: 400, status: '09', soapCode: '9' },
  duplicate: { http: 400, status: '10', soapCode: '10' },
  notFound: { http: 404, status: '11', soapCode: '11' },
};

export const INFORMANT_MESSAGE = 'Usuario no es el informante registrado en la Obra';
export const duplicateMessage = (receipt: string): string => `Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${receipt}`;
