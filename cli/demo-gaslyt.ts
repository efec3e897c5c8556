import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { hashPassword } from '../platform/passwords.ts';
import { systemClock } from '../protocols/clock.ts';
import { GaslytJsonDevice } from '../simulators/mqtt/gaslyt-json.ts';
import type { Stop } from './demo-bench.ts';

/** The demo's GASLYT-style detector that publishes its own JSON (issue 17 §5): read through a mapping. */
export const GASLYT_SERIAL = 'GL-0042';

/** mqtt.mappings entry for it, as in deploy/examples/agent.yaml: records of device gaslyt-GL-0042. */
export const GASLYT_JSON_MAPPING = {
  name: 'gaslyt',
  format: 'json',
  topic: 'gaslyt/{serial}/data',
  device: 'gaslyt-{serial}',
  missing: 'fault',
  fields: [
    { path: 'CH4', channel: 'ch4', unit: '%LEL', min: 0, max: 100 },
    { path: 'H2S', channel: 'h2s', unit: 'ppm', min: 0, max: 200 },
    { path: 'CO', channel: 'co', unit: 'ppm', min: 0, max: 1000 },
    { path: 'O2', channel: 'o2', unit: '%vol', min: 0, max: 25 },
    { path: 'bat', channel: 'battery', unit: 'V' },
  ],
  time: { path: 'ts', format: 'iso', timeZone: 'America/Santiago' },
} as const;

export interface DemoGaslyt {
  /** The broker user of the device: it may publish only its own data topic. */
  readonly user: Record<string, unknown>;
  /** Connects once the broker is up. */
  start(mqttPort: number): Promise<void>;
}

export async function demoGaslyt(logger: Logger, stops: Stop[]): Promise<DemoGaslyt> {
  const password = randomBytes(12).toString('base64url');
  return {
    user: { username: GASLYT_SERIAL, password: await hashPassword(password), publish: ['gaslyt/%u/data'], subscribe: [] },
    async start(mqttPort) {
      const device = new GaslytJsonDevice({
        url: `mqtt://127.0.0.1:${mqttPort}`,
        serial: GASLYT_SERIAL,
        password,
        scenario: 'sensor-fault',
        intervalMs: 1000,
        timeZone: 'America/Santiago',
        clock: systemClock,
        logger,
      });
      stops.push({ what: 'gaslyt-json', stop: () => device.stop() });
      await device.start();
    },
  };
}
