/**
 * Deploying the committed AtalayaAnchor artifact and checking a deployed one.
 *
 * The receipt is awaited by polling eth_getTransactionReceipt against a deadline, not with
 * ethers' `tx.wait()` (no timeout) nor `provider.waitForTransaction(hash, 1, timeout)`: in ethers
 * 6.17 the latter calls getBlockNumber inside an async Promise executor, so a node that is down
 * at that moment gives an unhandled rejection instead of a rejected promise.
 */
import { getAddress, type Provider, type TransactionReceipt, type Wallet } from 'ethers';
import { ANCHOR_ARTIFACT } from '../../../protocols/anchor/contract/artifact.ts';
import { ATALAYA_ANCHOR_DEPLOY_FAILED, anchorError } from '../errors.ts';
import { anchorInterface } from './abi.ts';

export interface DeployOptions {
  /** Default: the node's pending nonce for the signer. */
  readonly nonce?: number;
  /** wei; default: the node's fee data (EIP-1559). */
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
  /** How long to wait for the receipt, ms; default 180 000 (about 15 mainnet blocks). */
  readonly timeoutMs?: number;
  /** Receipt polling interval, ms; default 1 000. */
  readonly pollMs?: number;
}

export interface DeployedAnchor {
  /** Checksummed. */
  readonly address: string;
  readonly txHash: string;
  readonly blockNumber: number;
  readonly gasUsed: bigint;
  /** owner() as the contract answers it, checksummed: the signer's address. */
  readonly owner: string;
}

/**
 * Sends the creation transaction, waits for one confirmation, then checks the runtime code
 * (verifyDeployedCode) and that owner() is the signer. Every failure is
 * ATALAYA_ANCHOR_DEPLOY_FAILED with details.reason: no-provider, send, timeout, reverted,
 * read-back, code-mismatch, owner-mismatch.
 */
export async function deployAnchorContract(signer: Wallet, options: DeployOptions = {}): Promise<DeployedAnchor> {
  const provider = signer.provider;
  if (provider === null) throw failed('no-provider', 'the signer has no provider');
  let txHash: string;
  try {
    const tx = await signer.sendTransaction({
      data: ANCHOR_ARTIFACT.bytecode,
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      ...(options.maxFeePerGas === undefined ? {} : { maxFeePerGas: options.maxFeePerGas }),
      ...(options.maxPriorityFeePerGas === undefined ? {} : { maxPriorityFeePerGas: options.maxPriorityFeePerGas }),
    });
    txHash = tx.hash;
  } catch (err) {
    throw failed('send', 'the creation transaction was not sent', err);
  }
  const receipt = await waitForReceipt(provider, txHash, options.timeoutMs ?? 180_000, options.pollMs ?? 1_000);
  const details = { txHash, blockNumber: receipt.blockNumber };
  if (receipt.status !== 1 || receipt.contractAddress === null) throw failed('reverted', `creation transaction ${txHash} reverted`, undefined, details);
  const address = getAddress(receipt.contractAddress);
  let codeMatches: boolean;
  let owner: string;
  try {
    codeMatches = await verifyDeployedCode(provider, address, receipt.blockNumber);
    const answer = await provider.call({ to: address, data: anchorInterface.encodeFunctionData('owner'), blockTag: receipt.blockNumber });
    owner = getAddress(anchorInterface.decodeFunctionResult('owner', answer)[0] as string);
  } catch (err) {
    throw failed('read-back', `could not read back the contract at ${address}`, err, { ...details, address });
  }
  if (!codeMatches) throw failed('code-mismatch', `code at ${address} is not the artifact's`, undefined, { ...details, address });
  if (owner !== getAddress(signer.address)) throw failed('owner-mismatch', `owner() is ${owner}, not the signer`, undefined, { ...details, address, owner });
  return { address, txHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, owner };
}

/** A receipt with at least one confirmation, polled until `timeoutMs`; ATALAYA_ANCHOR_DEPLOY_FAILED (timeout) after. */
export async function waitForReceipt(
  provider: Pick<Provider, 'getTransactionReceipt'>,
  txHash: string,
  timeoutMs: number,
  pollMs: number,
): Promise<TransactionReceipt> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const receipt = await provider.getTransactionReceipt(txHash);
      if (receipt !== null) return receipt;
    } catch (err) {
      // A node that is briefly unreachable is retried until the deadline.
      lastError = err;
    }
    const left = deadline - performance.now();
    if (left <= 0) throw failed('timeout', `no receipt for ${txHash} within ${timeoutMs} ms`, lastError, { txHash, timeoutMs });
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}

/**
 * True when the runtime code at `address` is ANCHOR_ARTIFACT.deployedBytecode, the immutable
 * slots (`owner`) excepted: their bytes are set by the constructor, so they are compared only
 * with each other (every reference to one immutable must hold the same value). blockTag: default
 * latest; deployAnchorContract passes the receipt's block, which a lagging node behind a load
 * balancer has too.
 */
export async function verifyDeployedCode(provider: Pick<Provider, 'getCode'>, address: string, blockTag?: number | string): Promise<boolean> {
  const code = Buffer.from((await provider.getCode(address, blockTag)).slice(2), 'hex');
  const expected = Buffer.from(ANCHOR_ARTIFACT.deployedBytecode.slice(2), 'hex');
  if (code.length !== expected.length) return false;
  const masked = Buffer.from(code);
  for (const refs of Object.values(ANCHOR_ARTIFACT.immutableReferences)) {
    const first = refs[0];
    if (first === undefined) continue;
    const value = code.subarray(first.start, first.start + first.length);
    for (const ref of refs) {
      if (!code.subarray(ref.start, ref.start + ref.length).equals(value)) return false;
      expected.copy(masked, ref.start, ref.start, ref.start + ref.length);
    }
  }
  return masked.equals(expected);
}

function failed(reason: string, message: string, cause?: unknown, details: Record<string, unknown> = {}): Error {
  return anchorError(ATALAYA_ANCHOR_DEPLOY_FAILED, `deploy: ${message}`, { cause, details: { reason, ...details } });
}
