import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { systemClock } from '../protocols/clock.ts';
import type { DgaCredentials } from '../protocols/dga/index.ts';
import { DgaSimulator } from '../simulators/dga/simulator.ts';
import { LORA_DEVICE, LORA_GATEWAY, LORA_OBRA } from './demo-providers.ts';

const HOUR_MS = 3_600_000;
/** The demo's well (an obra code of the manual's examples) and its informant and Centro de Control. */
export const DEMO_OBRA = 'OB-0602-7';
const INFORMANT_RUT = '20999888-2';
const EMPRESA_RUT = '77555666-8';

export interface DemoDga {
  readonly sim: DgaSimulator;
  readonly url: string;
  /** The informant's credentials as DGA knows them; stored encrypted in the relay at each start. */
  readonly credentials: DgaCredentials;
  /** The first hourly slot the relay reports (the next full hour), ms since the epoch. */
  readonly firstSlot: number;
  /** The relay's `dga:` section: the obra fed by `device` on `gateway`. */
  section(gateway: string, device: string): Record<string, unknown>;
}

/**
 * The DGA double with one obra, a well measured by the demo flowmeter. DGA's most frequent
 * standard (mayor) is one measurement per hour, so the first report leaves a minute after the
 * next full hour; the relay's schedule looks every minute.
 */
export async function startDemoDga(logger: Logger): Promise<DemoDga> {
  // Made fresh each run: the double keeps nothing between runs, the relay gets it again below.
  const password = randomBytes(12).toString('base64url');
  const sim = new DgaSimulator({
    rest: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger,
    registry: [
      { obra: DEMO_OBRA, kind: 'subterranea', informantRut: INFORMANT_RUT, rutEmpresa: EMPRESA_RUT, password },
      // The LoRaWAN well, fed through The Things Stack (demo-providers.ts).
      { obra: LORA_OBRA, kind: 'subterranea', informantRut: INFORMANT_RUT, rutEmpresa: EMPRESA_RUT, password },
    ],
  });
  await sim.start();
  const url = sim.restUrl!;
  const firstSlot = Math.ceil(systemClock.now() / HOUR_MS) * HOUR_MS;
  return {
    sim,
    url,
    credentials: { rutUsuario: INFORMANT_RUT, rutEmpresa: EMPRESA_RUT, password },
    firstSlot,
    section: (gateway, device) => ({
      enabled: true,
      interface: 'rest',
      restBaseUrl: url,
      timeoutMs: 10_000,
      // A slot takes the reading closest to the full hour within ±1 min, and goes out at the next minute.
      toleranceMs: 60_000,
      schedule: '* * * * *',
      obras: [
        {
          code: DEMO_OBRA,
          kind: 'subterranea',
          gateway,
          device,
          channels: { flow: 'flow', totalizer: 'totalizer', level: 'level' },
          startAt: new Date(firstSlot).toISOString(),
        },
        {
          code: LORA_OBRA,
          kind: 'subterranea',
          gateway: LORA_GATEWAY,
          device: LORA_DEVICE,
          channels: { flow: 'flow', totalizer: 'totalizer', level: 'level' },
          startAt: new Date(firstSlot).toISOString(),
        },
      ],
    }),
  };
}
