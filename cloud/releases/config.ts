import { z } from 'zod';

/** The relay's `releases:` section: hosting signed agent releases for over-the-air updates (cloud/releases/README.md). */
export const releasesConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Host releases and answer the fleet part `update` (issue 16 §4)'),
    publicKeys: z
      .array(z.string().min(1))
      .default([])
      .describe('Release public keys (ed25519 SPKI PEM, or files holding one): a release is accepted only when its manifest verifies against one'),
    dir: z
      .string()
      .min(1)
      .default('./data/releases')
      .describe('Where tarballs are kept, <dir>/<version>/<file> (shared storage when several relays serve one database)'),
    urlTtlS: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(6 * 3600)
      .describe('How long a tarball URL given to a gateway is valid, s, 60..604800; a gateway resuming later gets a fresh one at its next fleet poll'),
  })
  .superRefine((c, ctx) => {
    if (c.enabled && c.publicKeys.length === 0)
      ctx.addIssue({ code: 'custom', path: ['publicKeys'], message: 'at least one release public key when releases are enabled (atalaya release keygen)' });
  });

export type ReleasesConfig = z.output<typeof releasesConfigSchema>;
