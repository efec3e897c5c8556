import { z } from 'zod';

/**
 * The fleet channel's `commands` part (issue 16 §3). The relay answers with the commands still
 * waiting for an outcome (again and again until one arrives: the gateway executes each id at most
 * once); the gateway reports outcomes, and the relay confirms those it stored so the gateway stops
 * repeating them.
 */
export const COMMAND_KINDS = ['alarm.ack', 'modbus.read', 'device.poll', 'agent.restart'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

const device = z.string().min(1).max(64);

/** Arguments per kind; strict, so a command the gateway cannot understand is refused at the relay. */
export const commandArgsSchemas = {
  'alarm.ack': z.strictObject({ device, channel: z.string().min(1).max(128), rule: z.string().min(1).max(128), by: z.string().max(128).optional() }),
  'modbus.read': z.strictObject({
    device,
    table: z.enum(['coil', 'discrete', 'holding', 'input']).default('holding'),
    address: z.number().int().min(0).max(65_535),
    // One Modbus read at most (FC03/FC04: 125 registers): the outcome stays small.
    count: z.number().int().min(1).max(125).default(1),
  }),
  'device.poll': z.strictObject({ device }),
  'agent.restart': z.strictObject({ reason: z.string().max(256).optional() }),
} as const satisfies Record<CommandKind, z.ZodType>;

export const commandSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  kind: z.enum(COMMAND_KINDS),
  args: z.record(z.string(), z.unknown()),
  /** When the relay issued it and until when it may run, ms since the epoch (relay clock). */
  issuedAt: z.number().int().min(0),
  expiresAt: z.number().int().min(0),
});
export type Command = z.infer<typeof commandSchema>;

export const OUTCOME_STATUSES = ['ok', 'refused', 'failed'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

export const outcomeSchema = z.strictObject({
  id: commandSchema.shape.id,
  status: z.enum(OUTCOME_STATUSES),
  /** ok: what the command returned (bounded, 8 KiB as JSON); refused/failed: why. */
  result: z.unknown().optional(),
  reason: z.string().max(2000).optional(),
  at: z.number().int().min(0),
});
export type Outcome = z.infer<typeof outcomeSchema>;

export const commandsReportSchema = z.strictObject({ outcomes: z.array(outcomeSchema).max(100) });
export type CommandsReport = z.infer<typeof commandsReportSchema>;

export const commandsAnswerSchema = z.strictObject({
  /** Relay wall clock when it answered, ms: the gateway judges a command's age on the relay's own clock (no skew to allow for). */
  now: z.number().int().min(0),
  commands: z.array(commandSchema).max(100),
  /** Outcome ids the relay has stored: the gateway stops reporting them. */
  confirmed: z.array(commandSchema.shape.id).max(100),
});
export type CommandsAnswer = z.infer<typeof commandsAnswerSchema>;
