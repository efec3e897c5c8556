import { AtalayaError } from '../../protocols/errors.ts';

/** A fault proxy's port asked before start() or after stop(). */
export const ATALAYA_SIM_PROXY_NOT_LISTENING = 'ATALAYA_SIM_PROXY_NOT_LISTENING';

export function proxyNotListening(): AtalayaError<typeof ATALAYA_SIM_PROXY_NOT_LISTENING> {
  return new AtalayaError(ATALAYA_SIM_PROXY_NOT_LISTENING, 'the proxy is not listening');
}
