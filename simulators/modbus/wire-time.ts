/** The wire-time formulas live with the protocol code, shared with the agent's inter-frame silence. */
export { RTU_BITS_PER_CHAR, answerEndMs, charTimeMs, t35Ms, wireTimeMs } from '../../protocols/modbus/timing.ts';
