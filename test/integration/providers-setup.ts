/**
 * Shared by the provider tests: a relay with one source of each kind (a TTS webhook, a Tago pull,
 * an HTTP/CSV pull), each fed by its simulator, and DGA reporting an obra per source to the DGA
 * double, all on one fake clock. Sources are provisioned before the relay starts, as an operator
 * would with `atalaya relay source add`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { newGatewaySecretCiphertext } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { sourceGateway } from '../../cloud/providers/config.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import { HttpEndpoint } from '../../simulators/providers/http-endpoint.ts';
import { TagoApi } from '../../simulators/providers/tago-api.ts';
import { TtsSender } from '../../simulators/providers/tts-sender.ts';
import { testLogger } from '../helpers/logger.ts';
import { CREDENTIALS, FakeClock, HOUR, MINUTE } from './relay-dga-setup.ts';

export { FakeClock, HOUR, MINUTE };

export const TTS_SECRET = 'tts-webhook-secret-0123456789';
export const TAGO_TOKEN = 'b6f1e0a2-tago-device-token';
export const HTTP_TOKEN = 'vendor-export-token';
export const TTS_DEVICE = { deviceId: 'caudalimetro-norte', devEui: '70B3D57ED0055A01', applicationId: 'pozos' };

export const OBRAS = {
  tts: { code: 'OB-0602-7', kind: 'subterranea', gateway: sourceGateway('ttn'), device: 'pozo-lora' },
  tago: { code: 'OB-0602-8', kind: 'subterranea', gateway: sourceGateway('tago'), device: 'pozo-tago' },
  http: { code: 'OB-0602-9', kind: 'superficial-flujometro', gateway: sourceGateway('vendor'), device: 'pozo-http' },
} as const;

const FLOWMETER_FIELDS = {
  flow: { channel: 'flow', unit: 'L/s' },
  totalizer: { channel: 'totalizer', unit: 'm3' },
  level: { channel: 'level', unit: 'm' },
};

export interface ProviderBench {
  readonly relay: Relay;
  readonly clock: FakeClock;
  readonly dgaSim: DgaSimulator;
  readonly tago: TagoApi;
  readonly http: HttpEndpoint;
  readonly tts: TtsSender;
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** `t0`: when the providers' history starts (10-minute readings); the clock starts at `start`. */
export async function startProviderBench(t0: number, start: number, dga: boolean): Promise<ProviderBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-providers-'));
  const clock = new FakeClock(start);
  const logger = testLogger();
  const stops: Array<() => Promise<unknown>> = [async () => fs.rmSync(dir, { recursive: true, force: true })];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const dgaSim = new DgaSimulator({
      rest: { host: '127.0.0.1', port: 0 },
      soap: { host: '127.0.0.1', port: 0 },
      clock,
      logger,
      registry: Object.values(OBRAS).map((o) => ({
        obra: o.code,
        kind: o.kind,
        informantRut: CREDENTIALS.rutUsuario,
        rutEmpresa: CREDENTIALS.rutEmpresa,
        password: CREDENTIALS.password,
      })),
      seed: 17,
    });
    await dgaSim.start();
    stops.push(() => dgaSim.stop());
    const tago = new TagoApi({ tokens: [TAGO_TOKEN], clock, periodMs: 10 * MINUTE, t0 });
    await tago.start();
    stops.push(() => tago.stop());
    const http = new HttpEndpoint({ token: HTTP_TOKEN, clock, periodMs: 10 * MINUTE, t0, device: OBRAS.http.device, badRowEvery: 5 });
    await http.start();
    stops.push(() => http.stop());
    const key = newRelayKey();
    const token = newApiToken();
    const config = parseRelayConfig({
      listen: { host: '127.0.0.1', port: 0 },
      storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
      apiTokens: [hashApiToken(token)],
      sources: [
        { id: 'ttn', kind: 'tts', devices: [{ match: TTS_DEVICE.devEui, device: OBRAS.tts.device, fields: FLOWMETER_FIELDS }] },
        {
          id: 'tago',
          kind: 'tago',
          url: tago.url,
          device: OBRAS.tago.device,
          pageSize: 7,
          intervalMs: 1000,
          backoffMaxMs: 8000,
          variables: { caudal: FLOWMETER_FIELDS.flow, totalizador: FLOWMETER_FIELDS.totalizer, nivel: FLOWMETER_FIELDS.level },
        },
        {
          id: 'vendor',
          kind: 'http',
          url: `${http.url}/readings.csv`,
          format: 'csv',
          authHeader: 'Authorization',
          cursorParam: 'since',
          device: 'col:equipo',
          time: 'fecha',
          timeFormat: 'local',
          timeZone: 'America/Santiago',
          idField: 'id',
          fields: { caudal: FLOWMETER_FIELDS.flow, totalizador: FLOWMETER_FIELDS.totalizer },
        },
      ],
      dga: {
        enabled: dga,
        restBaseUrl: dgaSim.restUrl,
        soapEndpoint: dgaSim.soapUrl,
        timeoutMs: 2000,
        spacingMs: 0,
        obras: Object.values(OBRAS).map((o) => ({
          code: o.code,
          kind: o.kind,
          gateway: o.gateway,
          device: o.device,
          channels: o.kind === 'subterranea' ? { flow: 'flow', totalizer: 'totalizer', level: 'level' } : { flow: 'flow', totalizer: 'totalizer' },
          startAt: new Date(t0).toISOString(),
          review: { enabled: false },
        })),
      },
    });
    const database = createRelayDatabase(config.storage, logger);
    await database.start();
    for (const [id, kind] of [
      ['ttn', 'tts'],
      ['tago', 'tago'],
      ['vendor', 'http'],
    ] as const)
      await database.sources.addSource({
        id,
        kind,
        org: 'default',
        gatewaySecretCiphertext: newGatewaySecretCiphertext(sourceGateway(id), parseRelayKey(key, 'test')),
        now: start,
      });
    await database.stop();
    const relay = new Relay(config, {
      logger,
      clock,
      env: {
        ATALAYA_RELAY_KEY: key,
        ATALAYA_SOURCE_TTN_SECRET: TTS_SECRET,
        ATALAYA_SOURCE_TAGO_SECRET: TAGO_TOKEN,
        ATALAYA_SOURCE_VENDOR_SECRET: `Bearer ${HTTP_TOKEN}`,
      },
      dgaSchedule: false,
      anchorSchedule: false,
      sourcesSchedule: false,
    });
    await relay.start();
    stops.push(() => relay.stop());
    if (dga) for (const o of Object.values(OBRAS)) await relay.dga!.setCredentials(o.code, CREDENTIALS);
    const url = `http://127.0.0.1:${relay.address.port}`;
    const tts = new TtsSender({
      url: `${url}/v1/sources/ttn/tts`,
      header: 'X-Atalaya-Webhook-Secret',
      secret: TTS_SECRET,
      devices: [TTS_DEVICE],
      periodMs: 60_000,
      clock,
    });
    return { relay, clock, dgaSim, tago, http, tts, url, token, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
