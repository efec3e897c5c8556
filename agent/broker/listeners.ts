import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'ws';
import type { ReadFile } from './auth.ts';
import { fileFailed, listenFailed } from './errors.ts';
import type { ListenerConfig, ListenerType } from './schema.ts';

/** A connection ready for MQTT: its stream, the raw TCP socket under it, and the upgrade request for WebSocket. */
export type ConnectionHandler = (stream: Duplex, socket: net.Socket, req?: http.IncomingMessage) => void;

export interface ListenerOptions {
  /** PEM cert chain and key, for tls and wss. */
  readonly secure?: { readonly cert: Buffer; readonly key: Buffer };
  /** Sockets a listener holds at once, connected or not (net.Server.maxConnections). */
  readonly maxConnections: number;
  /** Every raw TCP socket as it is accepted, before TLS or WebSocket (admission control). */
  readonly onSocket: (socket: net.Socket) => void;
  /** Largest WebSocket message, bytes: an MQTT packet travels in one binary message in practice. */
  readonly maxWsPayload: number;
  readonly logger: Logger;
}

export interface BoundAddress {
  readonly type: ListenerType;
  readonly host: string;
  readonly port: number;
}

type Server = net.Server | tls.Server | http.Server | https.Server;

/**
 * One bound listener. Every raw socket is tracked, so close() also ends connections that never
 * sent CONNECT (aedes only knows clients that did) and WebSocket connections (an HTTP server
 * forgets upgraded sockets).
 */
export class Listener {
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly sockets: Map<string, net.Socket>,
    private readonly wss: WebSocketServer | undefined,
    readonly address: BoundAddress,
  ) {}

  /** Binds; rejects with BROKER_LISTEN (address in use, no permission, …) having opened nothing. */
  static async open(config: ListenerConfig, handle: ConnectionHandler, options: ListenerOptions): Promise<Listener> {
    let server: Server;
    // By peer address and port: how a TLS or WebSocket stream finds the raw socket under it.
    const sockets = new Map<string, net.Socket>();
    const withSocket = (stream: Duplex, peer: net.Socket, req?: http.IncomingMessage): void => {
      const socket = sockets.get(peerKey(peer));
      if (socket === undefined) stream.destroy();
      else handle(stream, socket, req);
    };
    // ws costs a few MiB once loaded: only an agent with a ws or wss listener loads it.
    const ws = config.type === 'ws' || config.type === 'wss' ? await import('ws') : undefined;
    try {
      server = createServer(config, withSocket, options);
    } catch (err) {
      // tls.createServer throws on a cert or key that is not PEM, or a key that does not match.
      throw fileFailed('TLS certificate or key', `${config.cert ?? ''} ${config.key ?? ''}`.trim(), err);
    }
    server.maxConnections = options.maxConnections;
    server.on('connection', (socket: net.Socket) => {
      const key = peerKey(socket);
      sockets.set(key, socket);
      socket.once('close', () => {
        if (sockets.get(key) === socket) sockets.delete(key);
      });
      // PUBACKs are 4-byte writes: with Nagle's algorithm on, each one after the first waits for the
      // client's delayed ACK (40 ms on Linux), which capped one QoS 1 client near 2,000 msg/s (issue 18).
      socket.setNoDelay(true);
      options.onSocket(socket);
      if (config.type === 'tcp') handle(socket, socket);
    });
    const port = await new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => reject(listenFailed(config.type, config.host, config.port, err));
      server.once('error', onError);
      server.listen({ port: config.port, host: config.host }, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
    server.on('error', (err) => options.logger.error({ err, type: config.type, port }, 'MQTT listener error'));
    const wss = ws === undefined ? undefined : attachWebSocket(ws, server as http.Server, handle, options);
    return new Listener(server, sockets, wss, { type: config.type, host: config.host, port });
  }

  /** Stops accepting and destroys every socket; resolves when the server has closed. Idempotent. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.wss?.close();
      this.server.close(() => resolve());
      for (const socket of this.sockets.values()) socket.destroy();
      this.sockets.clear();
    });
    return this.closed;
  }
}

function peerKey(socket: net.Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}

type PeerHandler = (stream: Duplex, peer: net.Socket, req?: http.IncomingMessage) => void;

function createServer(config: ListenerConfig, handle: PeerHandler, options: ListenerOptions): Server {
  const log = options.logger;
  switch (config.type) {
    case 'tcp':
      // Handed over in open()'s 'connection' listener, once the socket is tracked.
      return net.createServer();
    case 'tls': {
      const server = tls.createServer({ ...requireSecure(options) }, (socket) => handle(socket, socket));
      server.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));
      return server;
    }
    case 'ws':
      return http.createServer(notWebSocket);
    case 'wss': {
      const server = https.createServer({ ...requireSecure(options) }, notWebSocket);
      server.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));
      return server;
    }
  }
}

function requireSecure(options: ListenerOptions): { cert: Buffer; key: Buffer } {
  if (options.secure === undefined) throw new TypeError('tls and wss listeners need cert and key');
  return { cert: options.secure.cert, key: options.secure.key };
}

/** Plain HTTP requests to a WebSocket listener: 426, RFC 7231 §6.5.15. */
function notWebSocket(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
}

function attachWebSocket(ws: typeof import('ws'), server: http.Server, handle: PeerHandler, options: ListenerOptions): WebSocketServer {
  // MQTT over WebSocket (MQTT 3.1.1 §6): binary messages, subprotocol "mqtt". ws picks the first
  // subprotocol the client offers, which is "mqtt" for every MQTT client seen in practice.
  const wss = new ws.WebSocketServer({ server, maxPayload: options.maxWsPayload });
  wss.on('connection', (socket, req) => {
    const stream = ws.createWebSocketStream(socket);
    // aedes attaches its own error handler in handle(); until then an error must not crash.
    stream.on('error', (err) => options.logger.debug({ err }, 'WebSocket stream error'));
    handle(stream, req.socket, req);
  });
  wss.on('error', (err) => options.logger.error({ err }, 'WebSocket server error'));
  return wss;
}

/** Cert and key of every tls and wss listener, read at start (BROKER_FILE when one cannot be read). */
export async function readTlsFiles(listeners: readonly ListenerConfig[], readFile: ReadFile): Promise<Map<ListenerConfig, { cert: Buffer; key: Buffer }>> {
  const out = new Map<ListenerConfig, { cert: Buffer; key: Buffer }>();
  for (const listener of listeners) {
    if (listener.cert === undefined || listener.key === undefined) continue;
    const read = async (what: string, file: string): Promise<Buffer> => {
      try {
        return await readFile(file);
      } catch (err) {
        throw fileFailed(what, file, err);
      }
    };
    out.set(listener, { cert: await read('certificate', listener.cert), key: await read('private key', listener.key) });
  }
  return out;
}
