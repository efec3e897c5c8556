/**
 * A The Things Stack webhook as seen from the receiving end: posts the uplinks of simulated
 * LoRaWAN flowmeters to a URL with the webhook's secret header, every periodMs, heard by one or
 * two gateways, and now and then delivered twice (a retried webhook, or a second cluster via
 * Packet Broker), as TTS does. Run by `atalaya sim providers --tts-url …` and the demo.
 */
import { request } from 'undici';
import type { Clock } from '../../protocols/clock.ts';
import { DEFAULT_FLOWMETER, type FlowmeterModel, flowmeterAt } from './flowmeter.ts';
import { type TtsDevice, ttsUplink } from './tts-uplink.ts';

export interface TtsSenderOptions {
  /** The webhook's URL: the relay's /v1/sources/<id>/tts. */
  readonly url: string;
  readonly header: string;
  readonly secret: string;
  readonly devices: readonly TtsDevice[];
  readonly periodMs: number;
  /** Probability 0..1 that an uplink is posted a second time. */
  readonly duplicateRate?: number;
  readonly clock: Clock;
  readonly model?: Omit<FlowmeterModel, 't0'>;
  readonly random?: () => number;
  /** Told after each post: the device, f_cnt and HTTP status (0 when the request failed). */
  readonly onPost?: (deviceId: string, fCnt: number, status: number) => void;
}

export class TtsSender {
  private timer: NodeJS.Timeout | undefined;
  private readonly fCnt = new Map<string, number>();
  private readonly model: FlowmeterModel;
  private inFlight: Promise<unknown> = Promise.resolve();
  /** Posts made and answered 2xx. */
  sent = 0;
  duplicates = 0;
  failed = 0;

  constructor(private readonly o: TtsSenderOptions) {
    this.model = { ...(o.model ?? DEFAULT_FLOWMETER), t0: o.clock.now() };
  }

  start(): Promise<void> {
    this.timer ??= setInterval(() => {
      this.inFlight = this.tick();
    }, this.o.periodMs);
    this.inFlight = this.tick();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight.catch(() => undefined);
  }

  /** One uplink per device now; resolves once posted (and, sometimes, posted again). */
  async tick(): Promise<void> {
    const random = this.o.random ?? Math.random;
    await Promise.all(
      this.o.devices.map(async (device) => {
        const fCnt = this.fCnt.get(device.deviceId) ?? 0;
        this.fCnt.set(device.deviceId, fCnt + 1);
        const at = this.o.clock.now();
        const gateways = random() < 0.5 ? ['gw-cerro-alto'] : ['gw-cerro-alto', 'gw-valle-sur'];
        const body = JSON.stringify(ttsUplink({ device, fCnt, at, reading: flowmeterAt(this.model, at), gateways }));
        await this.post(device.deviceId, fCnt, body);
        if (random() < (this.o.duplicateRate ?? 0)) {
          this.duplicates += 1;
          await this.post(device.deviceId, fCnt, body);
        }
      }),
    );
  }

  /** Posts one body as TTS does (JSON, the secret header); never throws. */
  async post(deviceId: string, fCnt: number, body: string): Promise<number> {
    let status = 0;
    try {
      const res = await request(this.o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'TheThingsStack/3 (atalaya sim)', [this.o.header.toLowerCase()]: this.o.secret },
        body,
      });
      status = res.statusCode;
      await res.body.dump();
    } catch {
      status = 0;
    }
    if (status >= 200 && status < 300) this.sent += 1;
    else this.failed += 1;
    this.o.onPost?.(deviceId, fCnt, status);
    return status;
  }
}
