/**
 * A raw MQTT 3.1.1 CONNECT packet (§3.1), for tests that speak to the broker below a client
 * library: password storms, packet size limits.
 */
export interface ConnectFields {
  readonly clientId?: string;
  readonly username?: string;
  readonly password?: Buffer;
  readonly will?: { readonly topic: string; readonly payload: Buffer; readonly qos: 0 | 1 | 2 };
  /** Seconds, §3.1.2.10. */
  readonly keepalive?: number;
}

/** §1.5.3 UTF-8 string / §1.5 binary data: a 2-byte length, then the bytes. */
function field(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** §2.2.3 remaining length: a variable byte integer of 1–4 bytes. */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

export function connectPacket(f: ConnectFields): Buffer {
  // §3.1.2.3 connect flags: user name 0x80, password 0x40, Will QoS bits 3–4, Will 0x04, clean session 0x02.
  let flags = 0x02;
  if (f.username !== undefined) flags |= 0x80;
  if (f.password !== undefined) flags |= 0x40;
  if (f.will !== undefined) flags |= 0x04 | (f.will.qos << 3);
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(f.keepalive ?? 0);
  const body = Buffer.concat([
    field('MQTT'),
    Buffer.from([4, flags]),
    keepalive,
    field(f.clientId ?? ''),
    ...(f.will === undefined ? [] : [field(f.will.topic), field(f.will.payload)]),
    ...(f.username === undefined ? [] : [field(f.username)]),
    ...(f.password === undefined ? [] : [field(f.password)]),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}
