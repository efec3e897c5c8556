/**
 * Modbus framing, one import for the servers and tests: RTU ADUs (rtu.ts), MBAP ADUs (mbap.ts),
 * request/response PDUs (pdu.ts) and what they share (frame-common.ts).
 */
export * from './frame-common.ts';
export * from './mbap.ts';
export * from './pdu.ts';
export * from './rtu.ts';
