import net from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { Listener } from '../../agent/broker/listeners.ts';
import { testLogger } from '../helpers/logger.ts';

// Issue 18: with Nagle's algorithm on the broker's side, every PUBACK after the first of a burst
// waited for the client's delayed ACK (40 ms on Linux): one QoS 1 client stalled near 2,000 msg/s.
let listener: Listener | undefined;
const peers: net.Socket[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const p of peers.splice(0)) p.destroy();
  await listener?.close();
  listener = undefined;
});

it('turns Nagle off on every accepted TCP socket before MQTT sees it', async () => {
  const setNoDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
  const accepted = new Promise<net.Socket>((resolve) => {
    void Listener.open({ type: 'tcp', host: '127.0.0.1', port: 0 }, (_stream, socket) => resolve(socket), {
      maxConnections: 10,
      onSocket: () => undefined,
      maxWsPayload: 1024,
      logger: testLogger(),
    }).then((l) => {
      listener = l;
      peers.push(net.connect(l.address.port, '127.0.0.1'));
    });
  });
  const socket = await accepted;
  const calls = setNoDelay.mock.contexts.map((context, i) => ({ context, arg: setNoDelay.mock.calls[i]?.[0] }));
  expect(calls).toContainEqual({ context: socket, arg: true });
});
