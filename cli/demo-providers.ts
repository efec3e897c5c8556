/**
 * The demo's LoRaWAN flowmeter (issue 17 §6): a well that is not behind an Atalaya gateway but
 * reports through The Things Stack. The TTS simulator posts its uplinks to the relay's `tts`
 * source `lora` (virtual gateway src-lora), whose records feed a second DGA obra beside the
 * Modbus one. The webhook secret is made fresh each run and handed over in the relay's
 * environment only.
 */
import { randomBytes } from 'node:crypto';
import type { Relay } from '../cloud/main.ts';
import { systemClock } from '../protocols/clock.ts';
import { TtsSender } from '../simulators/providers/tts-sender.ts';

export const LORA_SOURCE = 'lora';
export const LORA_GATEWAY = 'src-lora';
export const LORA_DEVICE = 'pozo-lora';
/** The provider-fed well's obra (the DGA double knows it too: demo-dga.ts). */
export const LORA_OBRA = 'OB-0602-8';
const TTS_DEVICE = { deviceId: 'caudalimetro-lora', devEui: '70B3D57ED0055A01', applicationId: 'atalaya-demo' };
const SECRET_ENV = 'ATALAYA_SOURCE_LORA_SECRET';
/** One uplink every this long at scenario speed 1, ms (a LoRaWAN flowmeter: minutes in the field). */
const UPLINK_MS = 10_000;

export interface DemoLora {
  /** The relay's `sources:` entry and the environment holding its secret. */
  readonly section: Record<string, unknown>;
  readonly env: Readonly<Record<string, string>>;
  /** Starts the TTS simulator posting to the relay at `relayUrl`. */
  start(relayUrl: string): Promise<TtsSender>;
  readonly periodMs: number;
}

export function demoLora(speed: number): DemoLora {
  const secret = randomBytes(24).toString('base64url');
  const periodMs = Math.max(1000, Math.round(UPLINK_MS / speed));
  return {
    section: {
      id: LORA_SOURCE,
      kind: 'tts',
      devices: [
        {
          match: TTS_DEVICE.devEui,
          device: LORA_DEVICE,
          fields: { flow: { channel: 'flow', unit: 'L/s' }, totalizer: { channel: 'totalizer', unit: 'm3' }, level: { channel: 'level', unit: 'm' } },
        },
      ],
    },
    env: { [SECRET_ENV]: secret },
    periodMs,
    async start(relayUrl) {
      const sender = new TtsSender({
        url: `${relayUrl}/v1/sources/${LORA_SOURCE}/tts`,
        header: 'X-Atalaya-Webhook-Secret',
        secret,
        devices: [TTS_DEVICE],
        periodMs,
        duplicateRate: 0.1,
        clock: systemClock,
      });
      await sender.start();
      return sender;
    },
  };
}

/** The summary's line: uplinks stored and redelivered, the obra's DGA reports. */
export async function loraSummary(relay: Relay): Promise<string> {
  const source = (await relay.sources.status()).find((s) => s.id === LORA_SOURCE);
  if (source === undefined) return '';
  const [obra] = (await relay.dga?.status(LORA_OBRA)) ?? [];
  const dga = obra === undefined ? 'off' : `${obra.obra} ${obra.counts.accepted} accepted, ${obra.counts.pending} queued`;
  const problems = source.problems.map((p) => `${p.count} ${p.reason}`).join(', ') || 'no problems';
  return `  lorawan: ${TTS_DEVICE.deviceId} → ${LORA_GATEWAY}/${LORA_DEVICE}: ${source.messages ?? 0} uplinks, ${source.duplicates ?? 0} redelivered, ${problems}; dga ${dga}\n`;
}
