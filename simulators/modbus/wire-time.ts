/** The wire-time formulas live with the protocol code, shared with the agent's inter-frame silence. */
export { answerEndMs, charTimeMs, RTU_BITS_PER_CHAR, t35Ms, wireTimeMs } from '../../protocols/modbus/timing.ts';
