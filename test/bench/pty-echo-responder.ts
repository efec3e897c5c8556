/**
 * Child process of pty-round-trip.ts: echoes every byte read on a serial device back to it, with
 * serialport's stock binding or the direct one (argv: path, `stock` | `direct`). Prints `ready`.
 */
import { SerialPort } from 'serialport';
import { directSerialBinding } from '../../platform/serial-binding.ts';

const [path, which] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: pty-echo-responder.ts PATH stock|direct');
const options = { path, baudRate: 19200, ...(which === 'direct' ? { binding: directSerialBinding } : {}) };
const port = new SerialPort(options as ConstructorParameters<typeof SerialPort>[0]);
port.on('data', (chunk: Buffer) => port.write(chunk));
port.on('open', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => port.close(() => process.exit(0)));
