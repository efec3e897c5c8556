import { z } from 'zod';

/**
 * The `update:` section: signed over-the-air updates from the relay (agent/update/README.md).
 * Off unless enabled; the release public key is the only trust anchor, so it is required then.
 */
export const updateConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Download, verify and switch to the version the relay asks for (over the fleet channel)'),
    publicKey: z
      .string()
      .min(1)
      .optional()
      .describe('Release public key (ed25519, SPKI PEM, from `atalaya release keygen`): the PEM text itself or the path of a file holding it'),
    root: z
      .string()
      .min(1)
      .default('/opt/atalaya')
      .describe('Install root: versions unpack into <root>/<version>, <root>/current is the symlink systemd runs (deploy/pi/install.sh)'),
    dir: z
      .string()
      .min(1)
      .default('/var/lib/atalaya/update')
      .describe('Where downloads are kept while in progress (<version>.part, resumed after a cut or a restart)'),
    confirmDeadlineS: z
      .number()
      .int()
      .min(5)
      .max(86_400)
      .default(300)
      .describe('A new version must store a record or reach the relay within this, s, 5..86400; otherwise the previous one is restored'),
    maxStarts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe('Starts a new version gets before deploy/pi/boot-check.sh restores the previous one (it crashes at start), 1..20'),
    rateBytesPerS: z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .default(0)
      .describe('Download rate cap, bytes/s, 0 (none)..1e9: leave room on a metered or slow cellular link'),
    timeoutMs: z.number().int().min(1000).max(3_600_000).default(60_000).describe('A download stalled this long is cut (and resumed later), ms, 1000..3600000'),
  })
  .superRefine((c, ctx) => {
    if (c.enabled && c.publicKey === undefined)
      ctx.addIssue({ code: 'custom', path: ['publicKey'], message: 'required when update is enabled: the release public key (atalaya release keygen)' });
  });

export type UpdateConfig = z.output<typeof updateConfigSchema>;
