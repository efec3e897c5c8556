import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseConfig } from '../agent/config/load.ts';
import { Agent } from '../agent/main.ts';
import { hashStatusToken, newStatusToken } from '../agent/status/auth.ts';
import { hashPassword } from '../platform/passwords.ts';
import { systemClock } from '../protocols/clock.ts';
import { GaslytDevice } from '../simulators/mqtt/gaslyt.ts';
import type { Stop } from './demo-bench.ts';
import { demoGaslyt, GASLYT_JSON_MAPPING } from './demo-gaslyt.ts';

export interface DemoAgentOptions {
  readonly dataDir: string;
  /** The Modbus/TCP simulator: gas detector unit 1, flowmeter unit 2. */
  readonly tcpPort: number;
  /** The RTU line's pseudo-terminal pair (agent side `a`), when socat is there. */
  readonly pty: { readonly a: string } | undefined;
  readonly relayUrl: string;
  readonly secretFile: string;
  /** 0: any free port. */
  readonly ports: { readonly mqtt: number; readonly status: number };
  readonly logger: Logger;
  readonly stops: Stop[];
}

export interface DemoAgent {
  readonly agent: Agent;
  readonly statusUrl: string;
  /** Demo-only secrets, made fresh each run and printed. */
  readonly statusToken: string;
  readonly viewerPassword: string;
  readonly mqttPort: number;
}

/** The gateway: the agent polling the simulators, with its broker and status page, and the GASLYT detector publishing to it. */
export async function startDemoAgent(o: DemoAgentOptions): Promise<DemoAgent> {
  const tcp = { host: '127.0.0.1', port: o.tcpPort };
  const devicePassword = randomBytes(12).toString('base64url');
  const viewerPassword = randomBytes(9).toString('base64url');
  const statusToken = newStatusToken();
  const gaslytJson = await demoGaslyt(o.logger, o.stops);
  const config = parseConfig(
    {
      gateway: { id: 'demo-gw' },
      buffer: { path: path.join(o.dataDir, 'buffer.db') },
      serial: o.pty ? [{ id: 'rs485-demo', path: o.pty.a, baudRate: 19200, timeoutMs: 300 }] : [],
      devices: [
        { id: 'gas-tcp', profile: 'gas-detector', tcp, unitId: 1, intervalMs: 1000 },
        { id: 'flow-tcp', profile: 'flowmeter', tcp, unitId: 2, intervalMs: 1000, params: { sensorDepthM: 60 } },
        ...(o.pty
          ? [
              { id: 'gas-rtu', profile: 'gas-detector', serial: 'rs485-demo', unitId: 1, intervalMs: 1000 },
              { id: 'flow-rtu', profile: 'flowmeter-t64', serial: 'rs485-demo', unitId: 2, intervalMs: 2000, params: { sensorDepthM: 85 } },
            ]
          : []),
      ],
      // Through the cuttable link; a short back-off so the backlog drains soon after an outage.
      sync: { url: o.relayUrl, secretFile: o.secretFile, idleMs: 1000, backoff: { initialMs: 500, maxMs: 5000 } },
      mqtt: {
        listeners: [{ type: 'tcp', host: '127.0.0.1', port: o.ports.mqtt }],
        users: [
          { username: 'gaslyt-01', password: await hashPassword(devicePassword), publish: ['atalaya/in/%u/#'], subscribe: [] },
          { username: 'viewer', password: await hashPassword(viewerPassword), publish: [], subscribe: ['atalaya/demo-gw/#'] },
          gaslytJson.user,
        ],
        mappings: [GASLYT_JSON_MAPPING],
      },
      status: { enabled: true, host: '127.0.0.1', port: o.ports.status, tokens: [hashStatusToken(statusToken)] },
    },
    'demo',
  );
  const agent = new Agent(config, { logger: o.logger });
  o.stops.push({ what: 'agent', stop: () => agent.stop() });
  await agent.start();
  const mqttPort = agent.broker!.addresses()[0]!.port;
  const gaslyt = new GaslytDevice({
    url: `mqtt://127.0.0.1:${mqttPort}`,
    deviceId: 'gaslyt-01',
    username: 'gaslyt-01',
    password: devicePassword,
    scenario: 'steady',
    intervalMs: 1000,
    topicPrefix: 'atalaya',
    clock: systemClock,
    logger: o.logger,
  });
  o.stops.push({ what: 'gaslyt', stop: () => gaslyt.stop() });
  await gaslyt.start();
  await gaslytJson.start(mqttPort);
  return { agent, statusUrl: `http://127.0.0.1:${agent.statusAddress!.port}`, statusToken, viewerPassword, mqttPort };
}
