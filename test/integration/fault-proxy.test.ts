import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ATALAYA_SIM_PROXY_NOT_LISTENING } from '../../simulators/net/errors.ts';
import { FaultProxy } from '../../simulators/net/fault-proxy.ts';

/** Connects, sends `text`, resolves with what came back before the connection closed, or 'closed' when nothing did. */
function exchange(port: number, text: string): Promise<{ socket: net.Socket; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      const answer = new Promise<string>((done) => {
        let got = '';
        socket.on('data', (chunk: Buffer) => {
          got += chunk.toString('utf8');
          if (got.length >= text.length) done(got);
        });
        socket.on('close', () => done(got === '' ? 'closed' : got));
        socket.on('error', () => undefined);
      });
      socket.write(text);
      resolve({ socket, answer });
    });
    socket.once('error', reject);
  });
}

describe('FaultProxy cut (the demo uplink outage)', () => {
  let echo: net.Server | undefined;
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await new Promise<void>((resolve) => (echo === undefined ? resolve() : echo.close(() => resolve())));
    echo = proxy = undefined;
  });

  it('cut destroys live connections and closes new ones; pass lets them through again', async () => {
    const sockets = new Set<net.Socket>();
    echo = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echo!.listen(0, '127.0.0.1', resolve));
    const p = (proxy = new FaultProxy({ target: (echo.address() as net.AddressInfo).port }));
    expect(() => p.port).toThrow(expect.objectContaining({ code: ATALAYA_SIM_PROXY_NOT_LISTENING }));
    await p.start();

    const live = await exchange(p.port, 'hello');
    expect(await live.answer).toBe('hello');
    const liveClosed = new Promise((resolve) => live.socket.once('close', resolve));
    p.setMode('cut');
    await liveClosed;
    expect(await (await exchange(p.port, 'lost')).answer).toBe('closed');
    expect(p.stats.refused).toBe(1);

    p.setMode('pass');
    const again = await exchange(p.port, 'back');
    expect(await again.answer).toBe('back');
    again.socket.destroy();
    for (const s of sockets) s.destroy();
  });
});
