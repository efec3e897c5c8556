/**
 * Connection caps of the relay's own (issue 19 item 12): in total (net.Server.maxConnections, which
 * Node enforces by closing the socket as it is accepted) and per client address (counted here on
 * 'connection'). A connection over either cap is closed before a byte is read: no body is buffered
 * for it, which is what bounds the memory of bodies in flight (maxConnections × maxBodyBytes).
 *
 * Behind a reverse proxy every connection comes from the proxy, so the per-address cap does not
 * apply to an address the relay trusts as a proxy (listen.trustProxy): `true` or a hop count means
 * "the peer is always the proxy"; an address/CIDR list exempts just those peers.
 */

import type { Server } from 'node:http';
import net from 'node:net';
import type { RelayConfig } from '../config/schema.ts';

/** proxy-addr's names for address ranges, accepted in trustProxy lists by Fastify. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** Whether a peer address is a trusted proxy under `trustProxy`. */
export function trustedProxy(setting: RelayConfig['listen']['trustProxy']): (address: string) => boolean {
  if (setting === false) return () => false;
  if (setting === true || typeof setting === 'number') return () => true;
  const list = new net.BlockList();
  for (const entry of setting.flatMap((e) => NAMED_RANGES[e] ?? [e])) {
    const [address = '', bits] = entry.split('/');
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (!net.isIP(address)) continue; // Fastify (proxy-addr) refuses these at start
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const plain = plainAddress(address);
    return list.check(plain, net.isIPv6(plain) ? 'ipv6' : 'ipv4');
  };
}

export interface ConnectionLimitsOptions {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly trustProxy: RelayConfig['listen']['trustProxy'];
  /** Told of each connection closed for being over a cap. */
  readonly onRefused: (limit: 'per_address', address: string) => void;
}

/** Applies both caps to `server`; returns the number of open connections per address (for tests and metrics). */
export function limitConnections(server: Server, options: ConnectionLimitsOptions): () => ReadonlyMap<string, number> {
  server.maxConnections = options.maxConnections;
  const exempt = trustedProxy(options.trustProxy);
  const open = new Map<string, number>();
  server.on('connection', (socket: net.Socket) => {
    const address = plainAddress(socket.remoteAddress ?? '');
    if (exempt(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > options.maxConnectionsPerAddress) {
      socket.destroy();
      options.onRefused('per_address', address);
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  return () => open;
}
