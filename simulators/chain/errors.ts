/** Stable codes of the local Ethereum node wrapper (simulators/chain/anvil.ts). */

/** The binary could not be found or the node did not start listening. */
export const ANVIL_START_FAILED = 'ATALAYA_ANVIL_START_FAILED';
/** A JSON-RPC call to the node failed or answered an error. */
export const ANVIL_RPC_FAILED = 'ATALAYA_ANVIL_RPC_FAILED';
