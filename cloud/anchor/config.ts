/**
 * The `anchor:` section of relay.yaml: where and how often the relay anchors the Merkle root of
 * what it received on Ethereum (docs/anchoring.md). The signing key is not here: it
 * comes from ATALAYA_ANCHOR_KEY or anchor.keyFile, and is never logged.
 */
import cron from 'node-cron';
import { z } from 'zod';

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address');
const gwei = z.number().positive().max(100_000);

export const anchorConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Anchor batches on Ethereum (needs rpcUrl, chainId, contract and a key)'),
    rpcUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('JSON-RPC endpoint of an Ethereum node (http/https)'),
    chainId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Chain the contract lives on (1 mainnet, 11155111 Sepolia, 31337 anvil); a node on another chain is refused'),
    contract: address.optional().describe('Address of the deployed AtalayaAnchor contract (atalaya relay anchor deploy prints it)'),
    keyFile: z.string().min(1).optional().describe("File holding the sender's private key (0x + 64 hex digits; chmod 600); ATALAYA_ANCHOR_KEY overrides it"),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), 'a cron expression (node-cron), e.g. "59 23 * * *" or "*/5 * * * *"')
      .default('59 23 * * *')
      .describe(
        'When a batch closes: cron expression in timezone; every record received since the previous batch goes in. Default daily at 23:59 like the predecessor; down to every minute',
      ),
    timezone: z
      .string()
      .min(1)
      .refine(validZone, 'an IANA timezone, e.g. America/Santiago or UTC')
      .default('America/Santiago')
      .describe('IANA timezone of schedule'),
    confirmations: z.number().int().min(1).max(1000).default(12).describe("Blocks (including the anchor's) before a batch counts as confirmed"),
    reorgWatchBlocks: z.number().int().min(1).max(100_000).default(128).describe('How many blocks behind the head anchors are re-checked for a reorg'),
    pollMs: z.number().int().min(50).max(600_000).default(15_000).describe('How often the engine checks the chain and its transactions, ms'),
    replaceAfterMs: z
      .number()
      .int()
      .min(100)
      .max(86_400_000)
      .default(180_000)
      .describe('A broadcast transaction not mined after this long is replaced with higher fees, ms'),
    feeBumpPercent: z
      .number()
      .int()
      .min(10)
      .max(500)
      .default(15)
      .describe('Fee increase of a replacement on both maxFeePerGas and maxPriorityFeePerGas, % (nodes refuse less than 10)'),
    maxFeeGwei: gwei.default(200).describe('Never sign with maxFeePerGas above this, gwei: the batch waits instead'),
    priorityFeeGwei: gwei.optional().describe('maxPriorityFeePerGas for a first attempt, gwei; default: what the node suggests'),
    gasLimit: z.number().int().min(22_000).max(1_000_000).default(60_000).describe('Gas limit of an anchor transaction (one uses about 24,000)'),
    rpcTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('Timeout of one JSON-RPC request, ms'),
  })
  .superRefine((a, ctx) => {
    if (!a.enabled) return;
    for (const key of ['rpcUrl', 'chainId', 'contract'] as const) {
      if (a[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required when anchor.enabled' });
    }
  });

export type AnchorConfig = z.output<typeof anchorConfigSchema>;
