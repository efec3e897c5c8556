import { z } from 'zod';
import { alarmsConfigSchema } from './alarms-schema.ts';
import { brokerConfigSchema } from './broker-schema.ts';
import { fleetConfigSchema } from './fleet-schema.ts';
import { pagingConfigSchema } from './paging-schema.ts';
import { profileSchema } from './schema-profile.ts';
import { statusConfigSchema } from './status-schema.ts';
import { syncConfigSchema } from './sync-schema.ts';
import { updateConfigSchema } from './update-schema.ts';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (1–64, starting with a letter or digit)');

const serialBusSchema = z.strictObject({
  id: id.describe('Name of the line, referenced by devices[].serial'),
  path: z.string().min(1).describe('Serial device, e.g. /dev/ttyUSB0 or a stable udev name /dev/rs485-1'),
  baudRate: z.number().int().min(300).max(921600).default(9600).describe('Bits per second'),
  parity: z
    .enum(['none', 'even', 'odd'])
    .default('none')
    .describe('Modbus over Serial Line §2.5.1: even is the standard; none needs 2 stop bits to be compliant'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  timeoutMs: z.number().int().min(10).max(60_000).default(500).describe('Answer timeout per transaction, ms'),
  interFrameDelayMs: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(0)
    .describe('Extra silence after each transaction before the next one on this line, ms (some slaves need it)'),
});

const tcpSchema = z.strictObject({
  host: z.string().min(1).describe('Device or Modbus gateway address'),
  port: z.number().int().min(1).max(65535).default(502),
  rtuOverTcp: z.boolean().default(false).describe('RTU frames (with CRC) over a raw TCP socket, as serial-to-Ethernet converters speak'),
  timeoutMs: z.number().int().min(10).max(60_000).default(1000).describe('Answer timeout per transaction, ms'),
});

const deviceSchema = z.strictObject({
  id: id.describe('Device name, unique in the gateway; used in every record'),
  profile: z.string().min(1).describe('Built-in profile (gas-detector, flowmeter, flowmeter-t64) or one under profiles:'),
  serial: z.string().optional().describe('serial[].id of the line the device is on (exactly one of serial / tcp)'),
  tcp: tcpSchema.optional().describe('Modbus TCP endpoint (exactly one of serial / tcp)'),
  unitId: z.number().int().min(0).max(255).default(1).describe('Modbus unit (slave) id; 1..247 on a serial line'),
  intervalMs: z.number().int().min(50).max(86_400_000).default(1000).describe('Poll interval, ms'),
  retries: z.number().int().min(0).max(5).default(1).describe('Retries of a failed transaction within one poll'),
  perFieldRequests: z.boolean().default(false).describe('One request per field, never merged: for devices that reject reads over unmapped addresses'),
  maxGap: z.number().int().min(0).max(124).default(8).describe('Largest hole (registers/bits) bridged when merging reads'),
  params: z.record(z.string(), z.number().finite()).default({}).describe('Per-device numbers profiles need, e.g. sensorDepthM for the well level'),
  dgaChannels: z
    .array(z.string())
    .default(['flow', 'totalizer', 'level'])
    .describe('Channels kept longest when the buffer is full because the relay reports them to DGA'),
});

const bufferSchema = z.strictObject({
  path: z.string().min(1).default('./data/buffer.db').describe('SQLite file of the store-and-forward buffer'),
  durability: z
    .enum(['normal', 'full'])
    .default('normal')
    .describe('normal: survives a crash of the agent, a power cut may lose the last commit window; full: every commit fsynced (more SD-card wear)'),
  commitIntervalMs: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe(
      'Least spacing between group commits, ms, 0..10000; 0: commit on the next event-loop turn (appends arriving meanwhile share it). Raise it only to bound commits (fsyncs with durability full) per second on an SD card',
    ),
  maxBytes: z.number().int().min(1_048_576).default(268_435_456).describe('Bound on stored data, bytes (≥ 1 MiB); oldest ordinary readings are evicted first'),
  maxAgeDays: z.number().min(0.01).max(3650).default(30).describe('Records older than this are evicted, days'),
  minFreeBytes: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .default(67_108_864)
    .describe(
      "Free space kept on the buffer's filesystem, bytes (0..1 TiB, default 64 MiB, 0 = off): below it the buffer stops growing and evicts by priority, so new alarms are still stored on a full card",
    ),
});

const backoffSchema = z.strictObject({
  failuresBeforeBackoff: z.number().int().min(1).max(100).default(3).describe('Consecutive failed polls before a device is backed off'),
  initialMs: z.number().int().min(100).default(5000).describe('First probe delay of a backed-off device, ms; doubles per failed probe'),
  maxMs: z.number().int().min(100).default(300_000).describe('Longest probe delay, ms'),
});

export const configSchema = z.strictObject({
  gateway: z.strictObject({
    id: id.describe('Gateway id, as provisioned at the relay'),
  }),
  buffer: bufferSchema.prefault({}),
  serial: z.array(serialBusSchema).default([]).describe('Serial (RS-485) lines'),
  devices: z.array(deviceSchema).default([]).describe('Modbus devices to poll (none for a gateway whose devices only publish over MQTT)'),
  profiles: z
    .record(z.string().regex(/^[a-z][a-z0-9-]{0,63}$/), profileSchema)
    .default({})
    .describe('Device profiles defined here, by id'),
  backoff: backoffSchema.prefault({}),
  mqtt: brokerConfigSchema.prefault({}).describe('Embedded MQTT broker: device ingest, live republish of every reading and alarm (agent/broker/README.md)'),
  sync: syncConfigSchema.prefault({}).describe('Store-and-forward sync to the cloud relay (agent/sync/README.md)'),
  fleet: fleetConfigSchema
    .prefault({})
    .describe('Health reports to the relay and the signed channel for remote configuration, commands and updates (agent/fleet/README.md)'),
  alarms: alarmsConfigSchema.prefault({}).describe('Threshold alarms per channel: built-in defaults for gas detectors, overridable per profile and device'),
  paging: pagingConfigSchema
    .prefault({})
    .describe('The gateway pages people itself (SMS through a cellular modem) when the relay has not acknowledged an alarm in time (agent/paging/README.md)'),
  status: statusConfigSchema.prefault({}).describe('Status page and JSON APIs for the technician on site (agent/status/README.md)'),
  update: updateConfigSchema.prefault({}).describe('Signed over-the-air updates of the agent from the relay (agent/update/README.md)'),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    })
    .prefault({}),
});

export type AgentConfig = z.output<typeof configSchema>;
export type DeviceConfig = AgentConfig['devices'][number];
export type SerialBusConfig = AgentConfig['serial'][number];
export type TcpConfig = NonNullable<DeviceConfig['tcp']>;
