import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkProofOffline, documentRecord, type ProofDocument, parseProofDocumentText } from '../protocols/anchor/document.ts';
import { isAnchorError } from '../protocols/anchor/errors.ts';
import { checkOnChain } from './verify/chain.ts';
import { isZip, packExitCode, packReport, verifyPack } from './verify/pack.ts';
import { humanReport } from './verify/report.ts';
import { exitCodeOf, type VerifyResult } from './verify/result.ts';

const HELP = `atalaya verify <proof.json> --rpc URL [--contract ADDRESS] [--confirmations N] [--json]
atalaya verify <pack.zip> --rpc URL [--contract ADDRESS] [--confirmations N] [--json]

Checks a record's anchor proof (from the relay) without trusting the relay: the record hashes
to the proof's leaf, the inclusion path leads from it to the batch root, and an Ethereum node of
your choice shows that root published by the contract's Anchored event with the same tree size,
under enough blocks.

Given a DGA evidence pack (a zip from 'atalaya relay dga evidence', recognised by its content), it
checks every file against the pack's manifest.json, every reading's proof as above (one chain
check per batch), and that each slot's readings.json states the anchored records; it names every
file or reading that fails. Readings the relay had not anchored yet are listed as not_anchored.

Options:
      --rpc URL            JSON-RPC endpoint (http or https) of a node on the proof's chain
      --contract ADDRESS   the contract address the operator published; without it, the proof's
                           own contract is taken on trust (anyone can deploy one that emits Anchored)
      --confirmations N    blocks required on top of the anchor, counting its own
                           (default: the proof's requiredConfirmations)
      --timeout-ms MS      bound on each JSON-RPC call (default 10000)
      --json               print the result as JSON: { ok, reason?, detail?, record, leaf, batch, anchor, warnings }
  -h, --help               this help

Exit codes: 0 verified; 1 not verified (reason record_altered, proof_invalid, root_not_on_chain,
wrong_contract, wrong_chain or not_final; for a pack also file_altered, file_missing,
file_unlisted, reading_mismatch); 2 usage error, unreadable file, malformed_proof or
rpc_unreachable (a pack: malformed_pack, or nothing but rpc_unreachable).
`;

const DEFAULT_TIMEOUT_MS = 10_000;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function usage(message: string): number {
  process.stderr.write(`atalaya verify: ${message}\n\n${HELP}`);
  return 2;
}

function positiveInt(name: string, text: string | undefined): number | undefined | Error {
  if (text === undefined) return undefined;
  const n = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(n) && n >= 1 ? n : new Error(`--${name}: expected a positive integer, got '${text}'`);
}

/** What the document says, shown whatever the verdict. */
function described(doc: ProofDocument): Pick<VerifyResult, 'record' | 'leaf' | 'batch'> {
  const { gateway, record: r } = documentRecord(doc);
  return {
    record: {
      gateway,
      seq: r.seq,
      kind: r.kind,
      device: r.device,
      channel: r.channel,
      value: r.value,
      unit: r.unit,
      quality: r.quality,
      exception: r.exception,
      ts: new Date(r.ts).toISOString(),
      ...(r.alarm === undefined ? {} : { alarm: r.alarm }),
    },
    leaf: { hash: doc.leaf.hash, index: doc.inclusion.index, treeSize: doc.inclusion.treeSize },
    batch: { id: doc.batch.id, root: doc.batch.root, treeSize: doc.batch.treeSize },
  };
}

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      rpc: { type: 'string' },
      contract: { type: 'string' },
      confirmations: { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined) return usage('missing <proof.json>');
  if (extra.length > 0) return usage(`unexpected argument '${extra[0]}'`);
  if (values.rpc === undefined) return usage('missing --rpc URL');
  if (!/^https?:\/\//i.test(values.rpc)) return usage(`--rpc: expected an http:// or https:// URL, got '${values.rpc}'`);
  if (values.contract !== undefined && !ADDRESS.test(values.contract)) return usage(`--contract: expected 0x and 40 hex digits, got '${values.contract}'`);
  const confirmations = positiveInt('confirmations', values.confirmations);
  const timeoutMs = positiveInt('timeout-ms', values['timeout-ms']);
  if (confirmations instanceof Error) return usage(confirmations.message);
  if (timeoutMs instanceof Error) return usage(timeoutMs.message);

  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    process.stderr.write(`atalaya verify: cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  const chainOptions = { rpcUrl: values.rpc, contract: values.contract, confirmations, timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS };
  if (isZip(bytes)) {
    try {
      const pack = await verifyPack(bytes, chainOptions);
      process.stdout.write(values.json === true ? `${JSON.stringify(pack, null, 2)}\n` : packReport(pack));
      return packExitCode(pack);
    } catch (err) {
      process.stderr.write(`atalaya verify: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      return 2;
    }
  }
  const text = bytes.toString('utf8');
  let result: VerifyResult;
  try {
    result = await verify(text, chainOptions);
  } catch (err) {
    // A crash must not read as exit 1 (verified and found wrong): nothing was concluded.
    process.stderr.write(`atalaya verify: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 2;
  }
  process.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : humanReport(result));
  return exitCodeOf(result.reason);
}

async function verify(text: string, options: Parameters<typeof checkOnChain>[1]): Promise<VerifyResult> {
  let doc: ProofDocument;
  try {
    doc = parseProofDocumentText(text);
  } catch (err) {
    if (!isAnchorError(err)) throw err;
    return { ok: false, reason: 'malformed_proof', detail: String(err.details?.['reason'] ?? err.message), warnings: [] };
  }
  const shown = described(doc);
  const offline = checkProofOffline(doc);
  if (!offline.ok) return { ok: false, reason: offline.reason, detail: offline.detail, ...shown, warnings: [] };
  const chain = await checkOnChain(doc, options);
  const warnings = [...chain.warnings];
  if (options.contract === undefined && chain.anchor !== undefined) {
    warnings.push('the contract was not pinned: anyone can deploy a contract that emits Anchored. Pass the address the operator published with --contract.');
  }
  if (chain.ok) return { ok: true, ...shown, anchor: chain.anchor, warnings };
  return { ok: false, reason: chain.reason, detail: chain.detail, ...shown, ...(chain.anchor === undefined ? {} : { anchor: chain.anchor }), warnings };
}
