import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BrokerError } from '../../agent/broker/errors.ts';
import { BROKER_PACKET_REFUSED, isBrokerError } from '../../agent/broker/errors.ts';
import type { FrameViolation, PacketLimits } from '../../agent/broker/frames.ts';
import { FrameGuard, packetLimits } from '../../agent/broker/frames.ts';
import { connectPacket, remainingLength } from '../helpers/mqtt-connect.ts';

/** A duplex whose readable side the test writes into (the peer's bytes) and whose writes it collects. */
function peer(): { inner: Duplex; send: (b: Buffer) => void; end: () => void } {
  const incoming = new PassThrough();
  const inner = Duplex.from({ readable: incoming, writable: new PassThrough() });
  return { inner, send: (b) => incoming.write(b), end: () => incoming.end() };
}

function guarded(limits: PacketLimits): {
  guard: FrameGuard;
  send: (b: Buffer) => void;
  violations: FrameViolation[];
  errors: unknown[];
  received: () => Buffer;
} {
  const { inner, send } = peer();
  const violations: FrameViolation[] = [];
  const errors: unknown[] = [];
  const guard = new FrameGuard(inner, limits, (v) => violations.push(v));
  const chunks: Buffer[] = [];
  guard.on('data', (c: Buffer) => chunks.push(c));
  guard.on('error', (err) => errors.push(err));
  return { guard, send, violations, errors, received: () => Buffer.concat(chunks) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const LIMITS: PacketLimits = { beforeAuth: 100, beforeAuthTotal: 300, afterAuth: 1000 };
/** A packet of type PUBLISH with `length` bytes after its fixed header (MQTT 3.1.1 §2.2). */
function packet(length: number): Buffer {
  return Buffer.concat([Buffer.from([0x30]), remainingLength(length), Buffer.alloc(length)]);
}

describe('MQTT frame guard', () => {
  it('writes what was written while corked to the connection in one write (issue 18: a syscall per chunk)', async () => {
    const { inner } = peer();
    const writes: Buffer[] = [];
    const write = inner.write.bind(inner);
    inner.write = ((chunk: Buffer) => {
      writes.push(Buffer.from(chunk));
      return write(chunk);
    }) as typeof inner.write;
    const guard = new FrameGuard(inner, LIMITS, () => undefined);
    guard.cork();
    for (const b of [[0x40], [0x02], [0x00, 0x01], [0x40, 0x02, 0x00, 0x02]]) guard.write(Buffer.from(b));
    process.nextTick(() => guard.uncork());
    await tick();
    expect(writes).toEqual([Buffer.from([0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00, 0x02])]);
  });

  it('passes packets up to the limit through unchanged, whatever the chunking', async () => {
    const g = guarded(LIMITS);
    const bytes = Buffer.concat([packet(100), packet(0), packet(5)]);
    for (let i = 0; i < bytes.length; i += 3) g.send(bytes.subarray(i, i + 3));
    await tick();
    expect(g.received()).toEqual(bytes);
    expect(g.violations).toEqual([]);
    expect(g.guard.destroyed).toBe(false);
  });

  it('closes on a header announcing more than the limit before passing a byte of it on', async () => {
    const g = guarded(LIMITS);
    g.send(packet(5));
    await tick();
    // §2.2.3: 0xff 0xff 0xff 0x7f = 268,435,455, the largest length.
    g.send(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    await tick();
    expect(g.violations).toEqual(['oversized_packet']);
    expect(g.received()).toEqual(packet(5));
    expect(g.guard.destroyed).toBe(true);
    expect(g.errors).toHaveLength(1);
    expect(isBrokerError(g.errors[0], BROKER_PACKET_REFUSED)).toBe(true);
    expect((g.errors[0] as BrokerError).details).toMatchObject({ reason: 'oversized_packet', length: 268_435_455, authenticated: false });
  });

  it('closes on a length one byte over the limit split across chunks', async () => {
    const g = guarded(LIMITS);
    const p = packet(101);
    g.send(p.subarray(0, 2));
    g.send(p.subarray(2, 3));
    await tick();
    expect(g.violations).toEqual(['oversized_packet']);
  });

  it('closes on a remaining length longer than four bytes [MQTT-2.2.3]', async () => {
    const g = guarded({ ...LIMITS, beforeAuth: 1e9, beforeAuthTotal: 1e9 });
    g.send(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]));
    await tick();
    expect(g.violations).toEqual(['malformed_length']);
  });

  it('bounds what an unauthenticated client sends in all, and lets larger packets through once authenticated', async () => {
    const before = guarded(LIMITS);
    for (let i = 0; i < 4; i++) before.send(packet(90));
    await tick();
    expect(before.violations).toEqual(['oversized_packet']);

    const after = guarded(LIMITS);
    after.guard.markAuthenticated();
    for (let i = 0; i < 4; i++) after.send(packet(900));
    await tick();
    expect(after.violations).toEqual([]);
    expect(after.received().length).toBe(4 * packet(900).length);
  });

  it('lets a real CONNECT with a Will of maxPayloadBytes through before authentication', async () => {
    const limits = packetLimits(16_384);
    const connect = connectPacket({
      clientId: 'c'.repeat(128),
      username: 'u'.repeat(64),
      password: Buffer.alloc(1024),
      keepalive: 60,
      will: { topic: 't/'.repeat(500), payload: Buffer.alloc(16_384), qos: 1 },
    });
    const g = guarded(limits);
    g.send(connect);
    await tick();
    expect(g.violations).toEqual([]);
    expect(g.received()).toEqual(connect);
  });

  it('forwards writes to the connection and ends with it', async () => {
    const incoming = new PassThrough();
    const outgoing = new PassThrough();
    const guard = new FrameGuard(Duplex.from({ readable: incoming, writable: outgoing }), LIMITS, () => undefined);
    const written: Buffer[] = [];
    outgoing.on('data', (c: Buffer) => written.push(c));
    guard.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await tick();
    expect(Buffer.concat(written)).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    const ended = new Promise((r) => guard.once('end', r));
    guard.resume();
    incoming.end();
    await ended;
  });
});
