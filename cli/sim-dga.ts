import { parseArgs } from 'node:util';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import type { DgaFaults, OddReceiptForm } from '../simulators/dga/faults.ts';
import { DgaSimulator } from '../simulators/dga/simulator.ts';
import type { ObraKind, RegistryEntry } from '../simulators/dga/types.ts';
import { KIND_REST, OBRA_KINDS } from '../simulators/dga/types.ts';
import { rootLogger } from './logger.ts';
import { untilSignal } from './signals.ts';
import { portArg, usage } from './sim-args.ts';

const HELP = `atalaya sim dga [options]

A stand-in for DGA's "Monitoreo de Extracciones Efectivas" service to point a client at: the REST
API (Res. 2.170/2025) and the legacy SOAP service. It validates strictly (formats, RUT check
digits, fixed UTC-4, no future measurements), answers duplicates with the original receipt and
can inject faults. Stop with Ctrl-C.

Options:
  --host HOST             interface to listen on (default 127.0.0.1)
  --rest-port N           REST port (default 0 = any free port; printed at start)
  --soap-port N           SOAP port (default 0 = any free port)
  --no-rest, --no-soap    do not serve that interface
  --obra CODE:KIND:INFORMANT_RUT:EMPRESA_RUT[:empty-level]
                          repeatable; KIND subterranea, superficial-flujometro or superficial;
                          empty-level lets the level be sent as "" (caudales muy pequeños)
  --password-env VAR      environment variable with the informants' password
                          (default ATALAYA_SIM_DGA_PASSWORD; never given on the command line)
  --timeout-after-store P store the measurement, then never answer, with probability 0..1
  --html5xx STATUS[:P]    answer an HTML 502/503/504 page from a "proxy" (probability P, default 1)
  --slow MS               delay every answer
  --block-bursts MS       block an obra's POST within MS of its previous one (300000 = the
                          manual's 5 minutes) with an HTML 403 page
  --odd-receipt FORM[:P]  store the measurement and answer success with an odd receipt:
                          dashed, no-data or empty (probability P, default 1)
  --seed N                seed receipts and fault draws (reproducible runs)
  --log-level LEVEL       (default info; one line per request)
  -h, --help              this help
`;

export interface SimDgaIo {
  /** Where the endpoints are printed (default process.stdout). */
  readonly stdout?: { write(s: string): unknown };
  /** Resolves when the simulator should stop (default: SIGINT or SIGTERM). */
  readonly until?: Promise<unknown>;
}

export async function simDgaCommand(argv: string[], io: SimDgaIo = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'rest-port': { type: 'string', default: '0' },
      'soap-port': { type: 'string', default: '0' },
      'no-rest': { type: 'boolean' },
      'no-soap': { type: 'boolean' },
      obra: { type: 'string', multiple: true },
      'password-env': { type: 'string', default: 'ATALAYA_SIM_DGA_PASSWORD' },
      'timeout-after-store': { type: 'string' },
      html5xx: { type: 'string' },
      slow: { type: 'string' },
      'block-bursts': { type: 'string' },
      'odd-receipt': { type: 'string' },
      seed: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const out = io.stdout ?? process.stdout;
  if (values.help === true) {
    out.write(HELP);
    return 0;
  }
  try {
    const envVar = values['password-env'] ?? 'ATALAYA_SIM_DGA_PASSWORD';
    const password = process.env[envVar];
    if (password === undefined || password === '') throw usage(`set the informants' password in the environment variable ${envVar}`);
    const registry = (values.obra ?? []).map((arg) => parseObraArg(arg, password));
    if (registry.length === 0) throw usage('give at least one --obra CODE:KIND:INFORMANT_RUT:EMPRESA_RUT');
    const host = values.host ?? '127.0.0.1';
    const sim = new DgaSimulator({
      ...(values['no-rest'] === true ? {} : { rest: { host, port: portArg('--rest-port', values['rest-port']) } }),
      ...(values['no-soap'] === true ? {} : { soap: { host, port: portArg('--soap-port', values['soap-port']) } }),
      clock: systemClock,
      logger: rootLogger(values['log-level'] ?? 'info', 2),
      registry,
      faults: faultArgs(values),
      ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    });
    await sim.start();
    if (sim.restUrl !== undefined)
      out.write(`dga rest  ${sim.restUrl}  (POST, GET ?codigoObra=&numeroComprobante= on ${OBRA_KINDS.map((k) => KIND_REST[k].path).join(', ')})\n`);
    if (sim.soapUrl !== undefined) out.write(`dga soap  ${sim.soapUrl}  (WSDL ${sim.soapUrl}?wsdl)\n`);
    for (const e of registry)
      out.write(
        `obra      ${e.obra}  ${e.kind}  informant ${e.informantRut}  empresa ${e.rutEmpresa}${e.allowEmptyLevel === true ? '  empty level allowed' : ''}\n`,
      );
    await (io.until ?? untilSignal());
    await sim.stop();
    return 0;
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya sim dga: ${err.message}\n`);
    return 2;
  }
}

/** `OB-0602-7:subterranea:20999888-2:77555666-8[:empty-level]`; values are checked by the simulator. */
function parseObraArg(arg: string, password: string): RegistryEntry {
  const [obra, kind, informantRut, rutEmpresa, flag, ...rest] = arg.split(':');
  const okFlag = flag === undefined || flag === 'empty-level';
  if (
    obra === undefined ||
    informantRut === undefined ||
    rutEmpresa === undefined ||
    !okFlag ||
    rest.length > 0 ||
    !(OBRA_KINDS as readonly (string | undefined)[]).includes(kind)
  ) {
    throw usage(`--obra '${arg}': expected CODE:KIND:INFORMANT_RUT:EMPRESA_RUT[:empty-level], KIND one of ${OBRA_KINDS.join(', ')}`);
  }
  return { obra, kind: kind as ObraKind, informantRut, rutEmpresa, password, ...(flag === 'empty-level' ? { allowEmptyLevel: true } : {}) };
}

function faultArgs(v: { 'timeout-after-store'?: string; html5xx?: string; slow?: string; 'block-bursts'?: string; 'odd-receipt'?: string }): DgaFaults {
  const num = (name: string, s: string): number => {
    if (!/^\d+(\.\d+)?$/.test(s)) throw usage(`${name} '${s}': expected a number`);
    return Number(s);
  };
  const faults: { -readonly [K in keyof DgaFaults]: DgaFaults[K] } = {};
  if (v['timeout-after-store'] !== undefined) faults.timeoutAfterStore = { probability: num('--timeout-after-store', v['timeout-after-store']) };
  if (v.html5xx !== undefined) {
    const [status = '', p] = v.html5xx.split(':');
    faults.html5xx = { status: num('--html5xx', status) as 502 | 503 | 504, ...(p !== undefined ? { probability: num('--html5xx', p) } : {}) };
  }
  if (v.slow !== undefined) faults.slowMs = num('--slow', v.slow);
  if (v['block-bursts'] !== undefined) faults.blockBursts = { windowMs: num('--block-bursts', v['block-bursts']) };
  if (v['odd-receipt'] !== undefined) {
    const [form = '', p] = v['odd-receipt'].split(':');
    // The form is checked with the other faults (checkFaults), with its path.
    faults.oddReceipt = { form: form as OddReceiptForm, ...(p !== undefined ? { probability: num('--odd-receipt', p) } : {}) };
  }
  return faults;
}
