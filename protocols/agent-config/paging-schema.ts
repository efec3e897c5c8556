import { z } from 'zod';
import { emailAddress, emailChannelSchema, httpUrl, webhookChannelSchema } from '../notify/channels-schema.ts';

/**
 * The `paging:` section of the agent config: the gateway pages people itself (issue 13 §7) for an
 * alarm-level transition the relay has not acknowledged within `afterMs`, i.e. when the uplink is
 * down. agent/paging/README.md.
 *
 *   paging:
 *     enabled: true
 *     afterMs: 120000
 *     recipients: [{ name: Guardia, phone: '+56912345678' }]
 *     channels:
 *       modem: { path: /dev/ttyUSB2 }
 */
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number: +, country code, 7–15 digits, e.g. +56912345678');

export const recipientSchema = z.strictObject({
  name: z.string().min(1).max(64).describe('Who this is, for logs and the status page'),
  phone: e164.optional().describe('E.164 number the modem sends SMS to'),
  email: emailAddress.optional().describe('Address the email channel (channels.email) writes to'),
  webhook: httpUrl.optional().describe('URL the webhook channel (channels.webhook) posts to'),
});

export const modemChannelSchema = z.strictObject({
  path: z.string().min(1).describe('Serial device of the cellular modem, e.g. /dev/ttyUSB2 (its AT command port)'),
  baudRate: z.number().int().min(1200).max(921_600).default(115_200).describe('Baud rate, 1200–921600'),
  pin: z
    .string()
    .regex(/^\d{4,8}$/, '4 to 8 digits')
    .optional()
    .describe('SIM PIN, given with AT+CPIN when the SIM asks for it; never logged'),
  smsc: e164.optional().describe("SMS service centre number (AT+CSCA); omit to keep the SIM's"),
  commandTimeoutMs: z.number().int().min(100).max(60_000).default(5_000).describe('How long one AT command may take to answer, ms (100–60000)'),
  sendTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .max(300_000)
    .default(60_000)
    .describe('How long AT+CMGS may take to answer once the text is sent, ms (1000–300000; networks take up to a minute)'),
  reopenMs: z.number().int().min(100).max(600_000).default(5_000).describe('Wait before reopening a port that failed or was unplugged, ms (100–600000)'),
});

export const pagingConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Page locally when the relay has not acknowledged an alarm in time'),
    afterMs: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(120_000)
      .describe("How long an alarm-level transition may wait for the relay's acknowledgement before the gateway pages itself, ms (1000–3600000)"),
    allClear: z.boolean().default(true).describe('Also send an all-clear when an alarm that was paged clears'),
    retry: z
      .strictObject({
        firstMs: z.number().int().min(100).max(600_000).default(10_000).describe('First retry delay after a failed send, ms (100–600000); doubles per failure'),
        maxMs: z.number().int().min(100).max(3_600_000).default(300_000).describe('Longest retry delay, ms (100–3600000)'),
        attempts: z.number().int().min(1).max(100).default(10).describe('Attempts per recipient and channel before giving up (1–100)'),
      })
      .prefault({})
      .describe('Back-off of failed sends'),
    recipients: z.array(recipientSchema).max(32).default([]).describe('Who is paged: every recipient through every channel it has an address for'),
    channels: z
      .strictObject({
        modem: modemChannelSchema.optional().describe('SMS through a cellular modem on a serial port (AT commands, text mode)'),
        email: emailChannelSchema.optional().describe('Email through an SMTP server the gateway reaches without the uplink (on the LAN); platform/notify'),
        webhook: webhookChannelSchema.optional().describe('An HTTP webhook the gateway reaches without the uplink (on the LAN); platform/notify'),
      })
      .prefault({})
      .describe("The gateway's own channels: every recipient is paged through every channel it has an address for"),
  })
  .superRefine((v, ctx) => {
    if (!v.enabled) return;
    const { modem, email, webhook } = v.channels;
    if (modem === undefined && email === undefined && webhook === undefined) {
      ctx.addIssue({ code: 'custom', path: ['channels'], message: 'paging is enabled but no channel is configured (modem, email or webhook)' });
    }
    if (v.recipients.length === 0) ctx.addIssue({ code: 'custom', path: ['recipients'], message: 'paging is enabled but nobody is listed' });
    v.recipients.forEach((r, i) => {
      const reachable =
        (modem !== undefined && r.phone !== undefined) || (email !== undefined && r.email !== undefined) || (webhook !== undefined && r.webhook !== undefined);
      if (!reachable)
        ctx.addIssue({ code: 'custom', path: ['recipients', i], message: 'no address for any configured channel (phone for modem, email, webhook)' });
    });
  })
  .describe('Local paging when the uplink is down (issue 13 §7)');

export type PagingConfig = z.output<typeof pagingConfigSchema>;
export type ModemChannelConfig = z.output<typeof modemChannelSchema>;
export type Recipient = z.output<typeof recipientSchema>;
export type PagingChannelsConfig = PagingConfig['channels'];
