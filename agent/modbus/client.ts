import type { EventEmitter } from 'node:events';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';

/** modbus-serial's client; it is an EventEmitter at run time though its typings omit it. */
export type ModbusClient = ModbusRTU & Pick<EventEmitter, 'removeAllListeners' | 'on' | 'off'>;

/**
 * modbus-serial is CommonJS (`module.exports = ModbusRTU`); its typings declare an ES default
 * export, which NodeNext resolves to the module object. At run time the default import is the
 * class, so it is cast once here.
 */
const Ctor = ModbusSerial as unknown as new () => ModbusClient;

export function createModbusClient(): ModbusClient {
  return new Ctor();
}
