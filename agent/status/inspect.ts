import { z } from 'zod';
import { isAtalayaError } from '../../protocols/errors.ts';
import { decodeAllOrders, type PerOrder } from '../../protocols/modbus/decode.ts';
import { MAX_READ_REGISTERS } from '../../protocols/modbus/types.ts';
import { ModbusError } from '../modbus/errors.ts';
import { badRequest, notFound, STATUS_MODBUS_ERROR, StatusHttpError } from './errors.ts';
import type { StatusSources } from './sources.ts';

export const inspectBody = z
  .strictObject({
    device: z.string().min(1).max(64),
    table: z.enum(['holding', 'input']),
    address: z.number().int().min(0).max(65535),
    count: z.number().int().min(1).max(MAX_READ_REGISTERS),
  })
  .refine((b) => b.address + b.count <= 65536, { path: ['count'], message: 'address + count must not pass register 65535' });

export type InspectRequest = z.output<typeof inspectBody>;

export interface InspectRow {
  readonly address: number;
  readonly int16: number;
  readonly uint16: number;
  readonly hex: string;
  /** Registers address..address+1 in each word order; null on the last register of the range. */
  readonly float32: PerOrder | null;
  readonly int32: PerOrder | null;
  readonly uint32: PerOrder | null;
}

export interface InspectResult extends InspectRequest {
  readonly registers: number[];
  readonly rows: InspectRow[];
}

/**
 * The register inspector: one read of a range from a device over its own link (queued behind its
 * polls, with the link's timeout), decoded every plausible way so a technician can spot the word
 * order that reads sensibly (docs/field.md#word-order-in-the-field: the first support question).
 * `seen` tells a device known only from its records (MQTT), which has no registers, from a typo.
 * NaN and ±Infinity floats become null in the JSON.
 */
export async function inspectRegisters(sources: StatusSources, req: InspectRequest, seen: (device: string) => boolean): Promise<InspectResult> {
  const device = sources.devices.find((d) => d.id === req.device);
  if (device === undefined) throw seen(req.device) ? badRequest(`${req.device} is not a Modbus device`) : notFound(`no device ${req.device}`);
  const read = sources.registers(device.id);
  if (read === undefined) throw badRequest(`${req.device} is not a Modbus device`);
  let registers: number[];
  try {
    registers = await read(device.unitId, req.table, req.address, req.count);
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    const exception = err instanceof ModbusError ? err.exception : null;
    throw new StatusHttpError(STATUS_MODBUS_ERROR, 502, { error: 'modbus_error', code: err.code, exception, message: err.message }, err);
  }
  const rows = decodeAllOrders(registers).map((d): InspectRow => {
    const paired = d.index + 1 < registers.length;
    return {
      address: req.address + d.index,
      int16: d.int16,
      uint16: d.uint16,
      hex: `0x${d.uint16.toString(16).padStart(4, '0')}`,
      float32: paired ? d.float32 : null,
      int32: paired ? d.int32 : null,
      uint32: paired ? d.uint32 : null,
    };
  });
  return { ...req, registers, rows };
}
