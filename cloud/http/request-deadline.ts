/**
 * The body within listen.requestTimeoutMs of the headers (issue 19 item 12; Node bounds the
 * headers with headersTimeout, set to the same value in server.ts). Node's
 * requestTimeout stops counting once the headers are in and the request is handed over, so a
 * body trickled a byte at a time held a connection (and its buffer) past 130 s with a 120 s
 * setting. Here a request whose body has not fully arrived by the deadline is answered 408 and
 * its connection closed. A request whose body arrived is not cut: a slow handler is the relay's
 * business, not the client's.
 */
import type { FastifyInstance } from 'fastify';

const TIMEOUT_BODY = JSON.stringify({ error: 'timeout', message: 'request not received within the time allowed' });
const TIMEOUT_RESPONSE = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(TIMEOUT_BODY)}\r\n\r\n${TIMEOUT_BODY}`;

export function enforceRequestDeadline(app: FastifyInstance, timeoutMs: number, onTimeout: (address: string) => void): void {
  app.addHook('onRequest', async (request, reply) => {
    const timer = setTimeout(() => {
      if (request.raw.complete) return;
      const socket = request.raw.socket;
      onTimeout(request.ip);
      if (socket.writable && !reply.raw.headersSent) socket.write(TIMEOUT_RESPONSE, () => socket.destroy());
      else socket.destroy();
    }, timeoutMs);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
  });
}
