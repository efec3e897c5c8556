import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModemSimulator } from '../../simulators/modem/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { openPtyPair, type PtyPair } from '../helpers/pty.ts';
import { waitFor } from '../helpers/wait.ts';

/** The terminal side of the line: writes commands, collects every byte the modem answers. */
class Terminal {
  received = '';
  constructor(private readonly port: SerialPort) {
    port.on('data', (b: Buffer) => (this.received += b.toString('latin1')));
  }
  /** Sends `bytes`, waits until the answer so far ends with `until`, returns what came since the send. */
  async say(bytes: string, until: string, timeoutMs = 5000): Promise<string> {
    const from = this.received.length;
    this.port.write(Buffer.from(bytes, 'latin1'));
    await waitFor(() => this.received.slice(from).endsWith(until), `modem answer ending ${JSON.stringify(until)}`, timeoutMs, 5);
    return this.received.slice(from);
  }
}

describe('modem simulator on a socat pty (3GPP TS 27.005 text mode)', () => {
  let dir: string;
  let pty: PtyPair;
  let sim: ModemSimulator;
  let port: SerialPort;
  let term: Terminal;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-modem-'));
    pty = await openPtyPair(dir);
    sim = new ModemSimulator({ path: pty.b, http: { host: '127.0.0.1', port: 0 }, logger: testLogger() });
    await sim.start();
    port = new SerialPort({ path: pty.a, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    term = new Terminal(port);
  });

  afterEach(async () => {
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await sim?.stop();
    await pty?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('echoes until ATE0, then answers the text-mode send dialogue byte for byte', async () => {
    expect(await term.say('AT\r', 'OK\r\n')).toBe('AT\r\r\nOK\r\n');
    expect(await term.say('ATE0\r', 'OK\r\n')).toBe('ATE0\r\r\nOK\r\n');
    expect(await term.say('AT+CPIN?\r', 'OK\r\n')).toBe('\r\n+CPIN: READY\r\n\r\nOK\r\n');
    expect(await term.say('AT+CSQ\r', 'OK\r\n')).toBe('\r\n+CSQ: 18,0\r\n\r\nOK\r\n');
    expect(await term.say('AT+CREG?\r', 'OK\r\n')).toBe('\r\n+CREG: 0,1\r\n\r\nOK\r\n');
    expect(await term.say('AT+CMGF=1\r', 'OK\r\n')).toBe('\r\nOK\r\n');
    expect(await term.say('AT+CSCS="GSM"\r', 'OK\r\n')).toBe('\r\nOK\r\n');
    expect(await term.say('AT+CMGS="+56912345678"\r', '> ')).toBe('\r\n> ');
    expect(await term.say('CH4 alarm det-1\x1a', 'OK\r\n')).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n');
    expect(sim.messages.map((m) => [m.number, m.text, m.mr])).toEqual([['+56912345678', 'CH4 alarm det-1', 0]]);
    const served = (await (await fetch(`http://127.0.0.1:${sim.httpPort}/messages`)).json()) as Array<{ number: string; text: string }>;
    expect(served.map((m) => m.text)).toEqual(['CH4 alarm det-1']);
  });

  it('ESC cancels a message; PDU mode refuses a quoted number; unknown commands are ERROR', async () => {
    await term.say('ATE0\r', 'OK\r\n');
    expect(await term.say('AT+CMGS="+56912345678"\r', '\r\n')).toBe('\r\n+CMS ERROR: 302\r\n');
    await term.say('AT+CMGF=1\r', 'OK\r\n');
    await term.say('AT+CMGS="+56912345678"\r', '> ');
    expect(await term.say('never sent\x1b', 'OK\r\n')).toBe('\r\nOK\r\n');
    expect(await term.say('AT+FOO\r', 'ERROR\r\n')).toBe('\r\nERROR\r\n');
    expect(sim.messages).toEqual([]);
  });

  it('faults set at run time: +CMS ERROR, no signal, slow answers, a hung modem, a SIM PIN', async () => {
    await term.say('ATE0\r', 'OK\r\n');
    await term.say('AT+CMGF=1\r', 'OK\r\n');
    const put = async (faults: object): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${sim.httpPort}/faults`, { method: 'PUT', body: JSON.stringify(faults) });
      expect(res.status).toBe(200);
    };
    await put({ cmsError: 500 });
    await term.say('AT+CMGS="+56912345678"\r', '> ');
    expect(await term.say('x\x1a', '\r\n')).toBe('\r\n+CMS ERROR: 500\r\n');

    await put({ noSignal: true });
    expect(await term.say('AT+CSQ\r', 'OK\r\n')).toBe('\r\n+CSQ: 99,99\r\n\r\nOK\r\n');
    expect(await term.say('AT+CREG?\r', 'OK\r\n')).toBe('\r\n+CREG: 0,0\r\n\r\nOK\r\n');

    await put({ slowMs: 300 });
    const t0 = Date.now();
    await term.say('AT\r', 'OK\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    await put({ drop: true });
    const before = term.received.length;
    await expect(term.say('AT\r', 'OK\r\n', 300)).rejects.toThrow();
    expect(term.received.length).toBe(before);

    await put({ simPin: '1234' });
    expect(await term.say('AT+CPIN?\r', 'OK\r\n')).toBe('\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n');
    expect(await term.say('AT+CSQ\r', '\r\n')).toBe('\r\n+CME ERROR: 11\r\n');
    expect(await term.say('AT+CPIN="1234"\r', 'OK\r\n')).toBe('\r\nOK\r\n');
    expect(await term.say('AT+CPIN?\r', 'OK\r\n')).toBe('\r\n+CPIN: READY\r\n\r\nOK\r\n');
    expect(sim.messages).toEqual([]);
  });
});
