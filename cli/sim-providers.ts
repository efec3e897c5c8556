/**
 * `atalaya sim providers`: the provider doubles of issue 17 §6 in one process: a Tago.io-like
 * device API, a vendor's HTTP/CSV export, and (with --tts-url) a The Things Stack webhook posting
 * a LoRaWAN flowmeter's uplinks to a relay source.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { systemClock } from '../protocols/clock.ts';
import { isAtalayaError } from '../protocols/errors.ts';
import { HttpEndpoint } from '../simulators/providers/http-endpoint.ts';
import { TagoApi, type TagoFault } from '../simulators/providers/tago-api.ts';
import { TtsSender } from '../simulators/providers/tts-sender.ts';
import { untilSignal } from './signals.ts';
import { intArg, usage } from './sim-args.ts';

const HELP = `atalaya sim providers [options]

Provider doubles for a relay's sources (cloud/providers/README.md): a Tago.io-like device API
(GET /data with a Device-Token, paginated), a vendor's HTTP export (GET /readings.csv and
/readings.json behind a bearer token, local times in America/Santiago), and with --tts-url a The
Things Stack webhook posting a LoRaWAN flowmeter's uplinks (flow L/s, totalizer m3, level m; one
or two gateways; now and then delivered twice). Tokens come from the environment; unset, a random
one is made and printed. Stop with Ctrl-C.

Options:
  --host HOST              interface to listen on (default 127.0.0.1)
  --tago-port N            Tago API port (default 0 = any free port); --no-tago: none
  --http-port N            HTTP export port (default 0); --no-http: none
  --period-ms N            one reading every N ms in the Tago and HTTP data (default 60000)
  --history-h H            hours of history they hold at start (default 24)
  --tago-fault F           none, 5xx (every request 503) or slow (2 s per answer)
  --bad-row-every N        break every N-th CSV row (a cell missing; default 0 = never)
  --tts-url URL            the relay source's webhook, e.g. http://127.0.0.1:8080/v1/sources/ttn/tts
  --tts-header NAME        header of the webhook secret (default X-Atalaya-Webhook-Secret)
  --tts-period-ms N        one uplink every N ms (default 60000)
  --tts-duplicates P       probability 0..1 that an uplink is delivered twice (default 0.05)
  --tts-device ID:DEV_EUI  the device (default caudalimetro-norte:70B3D57ED0055A01)
  Environment: ATALAYA_SIM_TAGO_TOKEN, ATALAYA_SIM_HTTP_TOKEN, ATALAYA_SIM_TTS_SECRET
  -h, --help               this help
`;

export interface SimProvidersIo {
  readonly stdout?: { write(s: string): unknown };
  readonly until?: Promise<unknown>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function simProvidersCommand(argv: string[], io: SimProvidersIo = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'tago-port': { type: 'string', default: '0' },
      'http-port': { type: 'string', default: '0' },
      'no-tago': { type: 'boolean' },
      'no-http': { type: 'boolean' },
      'period-ms': { type: 'string', default: '60000' },
      'history-h': { type: 'string', default: '24' },
      'tago-fault': { type: 'string', default: 'none' },
      'bad-row-every': { type: 'string', default: '0' },
      'tts-url': { type: 'string' },
      'tts-header': { type: 'string', default: 'X-Atalaya-Webhook-Secret' },
      'tts-period-ms': { type: 'string', default: '60000' },
      'tts-duplicates': { type: 'string', default: '0.05' },
      'tts-device': { type: 'string', default: 'caudalimetro-norte:70B3D57ED0055A01' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const out = io.stdout ?? process.stdout;
  const env = io.env ?? process.env;
  if (values.help === true) {
    out.write(HELP);
    return 0;
  }
  const parts: Array<{ stop(): Promise<void> }> = [];
  try {
    const host = values.host ?? '127.0.0.1';
    const periodMs = intArg('--period-ms', values['period-ms'], 100, 86_400_000);
    const t0 = systemClock.now() - intArg('--history-h', values['history-h'], 0, 24 * 366) * 3_600_000;
    const token = (name: string): { value: string; made: boolean } => {
      const v = env[name];
      return v !== undefined && v !== '' ? { value: v, made: false } : { value: randomBytes(16).toString('hex'), made: true };
    };
    if (values['no-tago'] !== true) {
      const fault = values['tago-fault'] as TagoFault;
      if (!['none', '5xx', 'slow'].includes(fault)) throw usage(`--tago-fault '${fault}': none, 5xx or slow`);
      const t = token('ATALAYA_SIM_TAGO_TOKEN');
      const tago = new TagoApi({ tokens: [t.value], clock: systemClock, periodMs, t0, host, port: intArg('--tago-port', values['tago-port'], 0, 65535) });
      tago.fault = fault;
      await tago.start();
      parts.push(tago);
      out.write(`tago  ${tago.url}/data  Device-Token ${t.made ? t.value : '(from ATALAYA_SIM_TAGO_TOKEN)'}  variables caudal, totalizador, nivel\n`);
    }
    if (values['no-http'] !== true) {
      const t = token('ATALAYA_SIM_HTTP_TOKEN');
      const http = new HttpEndpoint({
        token: t.value,
        clock: systemClock,
        periodMs,
        t0,
        badRowEvery: intArg('--bad-row-every', values['bad-row-every'], 0, 1_000_000),
        host,
        port: intArg('--http-port', values['http-port'], 0, 65535),
      });
      await http.start();
      parts.push(http);
      out.write(`http  ${http.url}/readings.csv  ${http.url}/readings.json  Authorization: Bearer ${t.made ? t.value : '(from ATALAYA_SIM_HTTP_TOKEN)'}\n`);
    }
    if (values['tts-url'] !== undefined) {
      const secret = env['ATALAYA_SIM_TTS_SECRET'];
      if (secret === undefined || secret === '') throw usage('--tts-url needs the webhook secret in ATALAYA_SIM_TTS_SECRET');
      const [deviceId = '', devEui = ''] = (values['tts-device'] ?? '').split(':');
      if (deviceId === '' || !/^[0-9A-Fa-f]{16}$/.test(devEui)) throw usage(`--tts-device '${values['tts-device']}': expected ID:DEV_EUI (16 hex digits)`);
      const duplicates = Number(values['tts-duplicates']);
      if (!(duplicates >= 0 && duplicates <= 1)) throw usage('--tts-duplicates: a probability 0..1');
      const tts = new TtsSender({
        url: values['tts-url'],
        header: values['tts-header'] ?? 'X-Atalaya-Webhook-Secret',
        secret,
        devices: [{ deviceId, devEui, applicationId: 'atalaya-sim' }],
        periodMs: intArg('--tts-period-ms', values['tts-period-ms'], 100, 86_400_000),
        duplicateRate: duplicates,
        clock: systemClock,
        onPost: (device, fCnt, status) => out.write(`tts   uplink ${device} f_cnt ${fCnt} → ${status === 0 ? 'no answer' : status}\n`),
      });
      await tts.start();
      parts.push(tts);
      out.write(`tts   posting uplinks of ${deviceId} to ${values['tts-url']}\n`);
    }
    if (parts.length === 0) throw usage('nothing to run: every part is off');
    await (io.until ?? untilSignal());
    return 0;
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    process.stderr.write(`atalaya sim providers: ${err.message}\n`);
    return 2;
  } finally {
    for (const p of parts.reverse()) await p.stop();
  }
}
