import { Duplex } from 'node:stream';
import { packetRefused } from './errors.ts';

/**
 * Largest packets the broker lets through, bytes of remaining length (MQTT 3.1.1 §2.2.3). mqtt-packet
 * buffers a packet until its announced length has arrived and has no limit of its own, so without
 * this a client that announces 256 MiB and streams it is held in memory whole (issue 19).
 */
export interface PacketLimits {
  /** Each packet before the client is authenticated: nothing bigger than a CONNECT can be. */
  readonly beforeAuth: number;
  /** All bytes read before the client is authenticated (CONNECT plus anything pipelined after it). */
  readonly beforeAuthTotal: number;
  /** Each packet once authenticated: the largest PUBLISH allowed. */
  readonly afterAuth: number;
}

/**
 * Room in a CONNECT for everything but its Will payload: fixed variable header (10), client id,
 * user name, password and Will topic with their 2-byte lengths. A CONNECT whose fields are larger
 * than this is closed unanswered.
 */
export const CONNECT_FIELDS_BYTES = 4096;
/** A PUBLISH's topic (at most 65,535 bytes plus its length, §1.5.3) and packet identifier. */
const PUBLISH_HEADER_BYTES = 65_535 + 2 + 2;

export function packetLimits(maxPayloadBytes: number): PacketLimits {
  const beforeAuth = CONNECT_FIELDS_BYTES + 2 + maxPayloadBytes;
  return { beforeAuth, beforeAuthTotal: 2 * (beforeAuth + 5), afterAuth: PUBLISH_HEADER_BYTES + maxPayloadBytes };
}

export type FrameViolation = 'oversized_packet' | 'malformed_length';

/**
 * Sits between a connection and aedes and reads the fixed header of every packet as the bytes go
 * by (type byte, then the remaining length: a variable byte integer of 1–4 bytes, §2.2.3). A
 * packet announcing more than its limit, or a length that does not end within 4 bytes, destroys
 * the connection before the chunk that carried the header reaches the parser: nothing beyond one
 * socket read is ever allocated for it. Works on any duplex (TCP, TLS, WebSocket stream).
 */
export class FrameGuard extends Duplex {
  private authenticated = false;
  private readBeforeAuth = 0;
  /** Where in the current packet the next byte falls. */
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private lengthBytes = 0;
  private bodyLeft = 0;

  constructor(
    private readonly inner: Duplex,
    private readonly limits: PacketLimits,
    private readonly onViolation: (violation: FrameViolation) => void,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', this.onData);
    inner.once('end', () => this.push(null));
    inner.on('error', (err: Error) => this.destroy(err));
    inner.once('close', () => this.destroy());
  }

  /** The client passed authentication: packets up to `afterAuth` from now on. */
  markAuthenticated(): void {
    this.authenticated = true;
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.forward(chunk, callback);
  }

  /**
   * What aedes wrote while the stream was corked (mqtt-packet corks for each packet, and every
   * PUBACK of one group commit is written in the same tick) goes out in one write: with Nagle off
   * (listeners.ts) each write is a syscall and a TCP segment (issue 18).
   */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const data = chunks.length === 1 ? (chunks[0] as { chunk: Buffer }).chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this.forward(data, callback);
  }

  private forward(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this.inner.write(chunk)) callback();
    else this.inner.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.off('data', this.onData);
    if (!this.inner.destroyed) this.inner.destroy();
    callback(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.destroyed) return;
    const violation = this.scan(chunk);
    if (violation !== undefined) {
      this.onViolation(violation);
      // aedes reports it as a connectionError (logged at debug); the count is what operators see.
      this.destroy(packetRefused(violation, { length: this.length, authenticated: this.authenticated }));
      return;
    }
    if (!this.push(chunk)) this.inner.pause();
  };

  private scan(chunk: Buffer): FrameViolation | undefined {
    if (!this.authenticated) {
      this.readBeforeAuth += chunk.length;
      if (this.readBeforeAuth > this.limits.beforeAuthTotal) return 'oversized_packet';
    }
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'type':
          i++;
          this.state = 'length';
          this.length = 0;
          this.lengthBytes = 0;
          break;
        case 'length': {
          const byte = chunk[i++] as number;
          this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
          this.lengthBytes++;
          if ((byte & 0x80) !== 0) {
            // [MQTT-2.2.3] at most four bytes: a fifth is malformed.
            if (this.lengthBytes === 4) return 'malformed_length';
            break;
          }
          if (this.length > (this.authenticated ? this.limits.afterAuth : this.limits.beforeAuth)) return 'oversized_packet';
          this.bodyLeft = this.length;
          this.state = this.length === 0 ? 'type' : 'body';
          break;
        }
        case 'body': {
          const take = Math.min(this.bodyLeft, chunk.length - i);
          i += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) this.state = 'type';
          break;
        }
      }
    }
    return undefined;
  }
}
