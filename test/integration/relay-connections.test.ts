/**
 * Issue 19 item 12: a slow request (headers or body trickled in) is answered 408 and closed at
 * listen.requestTimeoutMs; connections over listen.maxConnectionsPerAddress from one address, or
 * over listen.maxConnections in total, are closed as they arrive while other addresses get through.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { type HardenedRelay, startHardenedRelay } from './relay-hardening-setup.ts';

let r: HardenedRelay | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await r?.stop();
  r = undefined;
});

interface Conn {
  readonly socket: net.Socket;
  /** Everything the relay wrote. */
  readonly received: () => string;
  /** Resolves with ms since the connection opened, when the relay closes it. */
  readonly closed: Promise<number>;
}

function connect(port: number, localAddress = '127.0.0.1'): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', () => {});
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - started)));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** A keep-alive GET /healthz on an open connection: true when the relay answered 200. */
async function healthy(c: Conn): Promise<boolean> {
  const before = c.received().length;
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n');
  const answered = await Promise.race([
    waitFor(() => c.received().slice(before).includes('\r\n\r\n') || undefined, 'an answer', 5000).then(() => true),
    c.closed.then(() => false),
  ]);
  return answered && c.received().slice(before).startsWith('HTTP/1.1 200');
}

describe('slow requests', () => {
  it('a body trickled in is answered 408 and closed at requestTimeoutMs, and so are trickled headers and a silent connection', async () => {
    r = await startHardenedRelay('', ['gw-1'], ', requestTimeoutMs: 1000');
    const body = await connect(r.relay.port);
    body.socket.write('POST /v1/ingest HTTP/1.1\r\nHost: relay\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n');
    const headers = await connect(r.relay.port);
    headers.socket.write('POST /v1/ingest HTTP/1.1\r\nHost: relay\r\n');
    const silent = await connect(r.relay.port);
    const trickle = setInterval(() => {
      if (body.socket.writable) body.socket.write('x');
      if (headers.socket.writable) headers.socket.write('X-Pad: y\r\n');
    }, 100);
    try {
      const [bodyMs, headersMs, silentMs] = await Promise.all([body.closed, headers.closed, silent.closed]);
      console.log(`requestTimeoutMs 1000: trickled body closed after ${bodyMs} ms, trickled headers ${headersMs} ms, silent connection ${silentMs} ms`);
      expect(silentMs).toBeGreaterThanOrEqual(900);
      expect(silentMs).toBeLessThan(4000);
      // The deadline is 1 s; Node checks header timeouts every 250 ms here; slack for a loaded machine.
      expect(bodyMs).toBeGreaterThanOrEqual(900);
      expect(bodyMs).toBeLessThan(4000);
      expect(headersMs).toBeGreaterThanOrEqual(900);
      expect(headersMs).toBeLessThan(4000);
      expect(body.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(headers.received()).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
    // The relay still serves.
    expect(await healthy(await connect(r.relay.port))).toBe(true);
  });
});

describe('connection limits', () => {
  it('closes connections over the per-address cap while another address gets through, and over the total cap', async () => {
    r = await startHardenedRelay('', [], ', maxConnections: 3, maxConnectionsPerAddress: 2');
    const port = r.relay.port;
    const a1 = await connect(port);
    const a2 = await connect(port);
    expect(await healthy(a1)).toBe(true);
    expect(await healthy(a2)).toBe(true);
    const a3 = await connect(port);
    expect(await healthy(a3)).toBe(false);
    const b1 = await connect(port, '127.0.0.2');
    expect(await healthy(b1)).toBe(true);
    // Three open: a fourth from a fresh address is over the total.
    const c1 = await connect(port, '127.0.0.3');
    expect(await healthy(c1)).toBe(false);
    // A closed connection frees its place.
    a1.socket.destroy();
    await a1.closed;
    await waitFor(async () => {
      const again = await connect(port);
      return (await healthy(again)) || undefined;
    }, 'a place freed for 127.0.0.1');
    const summary = await r.relay.process.waitForMessage<{ refused: Record<string, number> }>('connections refused', 20_000);
    expect(summary.refused['per_address']).toBeGreaterThanOrEqual(1);
    expect(summary.refused['total']).toBeGreaterThanOrEqual(1);
  });
});
