import {
  EXCEPTION,
  encodeException,
  encodeReadBitsResponse,
  encodeReadRegistersResponse,
  encodeWriteResponse,
  parseRequest,
} from '../../protocols/modbus/frame.ts';
import type { SimDevice } from './device.ts';
import type { FaultInjector } from './faults.ts';
import type { RegisterImage } from './register-image.ts';

/**
 * Executes one request PDU against a register image and returns the response PDU (Modbus
 * Application Protocol v1.1b3 §6). Any address outside the map → exception 02 (§7); malformed
 * quantities → 03 and unknown functions → 01, as parseRequest decides.
 */
export function handlePdu(image: RegisterImage, pdu: Uint8Array): Uint8Array {
  const parsed = parseRequest(pdu);
  if (!parsed.ok) return encodeException(parsed.fc, parsed.exception);
  const r = parsed.request;
  const illegalAddress = encodeException(r.fc, EXCEPTION.illegalDataAddress);
  switch (r.fc) {
    case 1:
    case 2: {
      const bits = image.readBits(r.fc === 1 ? 'coil' : 'discrete', r.address, r.quantity);
      return bits ? encodeReadBitsResponse(r.fc, bits) : illegalAddress;
    }
    case 3:
    case 4: {
      const words = image.readRegisters(r.fc === 3 ? 'holding' : 'input', r.address, r.quantity);
      return words ? encodeReadRegistersResponse(r.fc, words) : illegalAddress;
    }
    case 5:
      return image.writeCoils(r.address, [r.value]) ? encodeWriteResponse(r) : illegalAddress;
    case 6:
      return image.writeRegisters(r.address, [r.value]) ? encodeWriteResponse(r) : illegalAddress;
    case 15:
      return image.writeCoils(r.address, r.values) ? encodeWriteResponse(r) : illegalAddress;
    case 16:
      return image.writeRegisters(r.address, r.values) ? encodeWriteResponse(r) : illegalAddress;
  }
}

/** What a server should send for one request. */
export type Answer = { readonly kind: 'reply'; readonly pdu: Uint8Array; readonly delayMs: number; readonly corruptCrc: boolean } | { readonly kind: 'silent' };

/** Transport-independent view of the simulated devices, used by the TCP and RTU servers. */
export interface UnitRouter {
  /** The answer of device `unit` to a request, or undefined when no device has that unit id. */
  route(unit: number, pdu: Uint8Array): Answer | undefined;
  /** Serial-line broadcast (unit 0, Modbus over Serial Line v1.02 §2.1): executed by all, answered by none. */
  broadcast(pdu: Uint8Array): void;
}

/**
 * A device's answer at monotonic time `nowMs`: the model is advanced first so the answer carries
 * current values, then the faults decide. An injected exception means the request is not executed.
 */
export function answerRequest(device: SimDevice, faults: FaultInjector, pdu: Uint8Array, nowMs: number): Answer {
  device.advance(nowMs);
  const d = faults.decide(device.elapsedS(nowMs));
  if (d.drop) return { kind: 'silent' };
  const response = d.exception !== undefined ? encodeException(pdu[0] ?? 0, d.exception) : handlePdu(device.image, pdu);
  return { kind: 'reply', pdu: response, delayMs: d.delayMs, corruptCrc: d.corruptCrc };
}
