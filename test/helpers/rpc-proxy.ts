/**
 * An HTTP JSON-RPC proxy in front of a node (anvil) for fault tests of the relay's anchoring:
 * the relay's RPC URL points here and the test decides, per JSON-RPC method, what the relay
 * sees: the node's answer, nothing yet (held), an error answer, or no connection at all.
 *
 * Batches (JSON-RPC 2.0 §6): each element is counted under its own method; a batch with any held
 * method is held whole; failNext answers its elements from the injected error and forwards the
 * rest as a smaller batch, the answers put back in request order.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export interface RpcErrorObject {
  readonly code: number;
  readonly message: string;
}

export interface RpcProxy {
  readonly url: string;
  /**
   * true: every request's connection is destroyed before anything is read or answered (the
   * client sees a reset / socket hang up), and it is not counted. false: back to forwarding.
   */
  setDown(down: boolean): void;
  /** From now on, requests with this method arrive and are counted but are neither forwarded nor answered. */
  hold(method: string): void;
  /**
   * Ends holding `method` and forwards what was held (unless another method of a held batch is
   * still held), whether or not its client is still waiting: a request that reached the node late.
   */
  release(method: string): void;
  /**
   * Ends holding `method`; what was held is never forwarded: answered 503 ('status503', default)
   * or its connection destroyed ('destroy'). Call hold(method) again to keep holding new requests.
   */
  dropHeld(method: string, how?: 'status503' | 'destroy'): void;
  /** The next `count` requests of `method` are answered with this JSON-RPC error, not forwarded. */
  failNext(method: string, count: number, error: RpcErrorObject): void;
  /** Requests of `method` that arrived (batch elements counted one by one), held and failed ones included. */
  calls(method: string): number;
  /** Resolves once calls(method) ≥ n; rejects after timeoutMs (default 15 000). */
  waitForCall(method: string, n: number, timeoutMs?: number): Promise<void>;
  /** Destroys every connection (held requests included) and closes the listener. Idempotent. */
  stop(): Promise<void>;
}

interface RpcRequest {
  readonly method?: unknown;
  readonly id?: unknown;
  readonly jsonrpc?: unknown;
}

interface Pending {
  readonly methods: readonly string[];
  readonly body: string;
  readonly res: http.ServerResponse;
}

export async function startRpcProxy(targetUrl: string): Promise<RpcProxy> {
  let down = false;
  const counts = new Map<string, number>();
  const waiters = new Set<{ method: string; n: number; resolve: () => void }>();
  const holding = new Set<string>();
  let held: Pending[] = [];
  const failures = new Map<string, { count: number; error: RpcErrorObject }>();
  const sockets = new Set<Socket>();

  const methodsOf = (parsed: unknown): string[] =>
    (Array.isArray(parsed) ? parsed : [parsed]).map((r) => (typeof (r as RpcRequest | null)?.method === 'string' ? ((r as RpcRequest).method as string) : ''));

  function count(method: string): void {
    counts.set(method, (counts.get(method) ?? 0) + 1);
    for (const w of waiters) if (w.method === method && (counts.get(method) ?? 0) >= w.n) w.resolve();
  }

  /** Takes one injected failure for `method`, if any is left. */
  function takeFailure(method: string): RpcErrorObject | undefined {
    const f = failures.get(method);
    if (f === undefined || f.count <= 0) return undefined;
    f.count--;
    if (f.count === 0) failures.delete(method);
    return f.error;
  }

  function reply(res: http.ServerResponse, status: number, body: string): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function forward(body: string): Promise<{ status: number; text: string }> {
    const r = await fetch(targetUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: r.status, text: await r.text() };
  }

  /** Forwards a request that is not held: injected failures first, the rest to the node. */
  async function dispatch(body: string, res: http.ServerResponse, applyFailures: boolean): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    try {
      if (!applyFailures || parsed === undefined) {
        const r = await forward(body);
        return reply(res, r.status, r.text);
      }
      const single = !Array.isArray(parsed);
      const items = (single ? [parsed] : parsed) as RpcRequest[];
      const answers: unknown[] = items.map((item) => {
        const error = typeof item?.method === 'string' ? takeFailure(item.method) : undefined;
        return error === undefined ? undefined : { jsonrpc: '2.0', id: item.id ?? null, error };
      });
      const rest = items.filter((_, i) => answers[i] === undefined);
      if (rest.length === 0) return reply(res, 200, JSON.stringify(single ? answers[0] : answers));
      if (rest.length === items.length) {
        const r = await forward(body);
        return reply(res, r.status, r.text);
      }
      const r = await forward(JSON.stringify(rest));
      const forwarded: unknown = JSON.parse(r.text);
      if (!Array.isArray(forwarded)) return reply(res, r.status, r.text);
      const byId = new Map(forwarded.map((a) => [JSON.stringify((a as RpcRequest).id), a]));
      const merged = items.map((item, i) => answers[i] ?? byId.get(JSON.stringify(item.id)));
      reply(res, 200, JSON.stringify(merged));
    } catch {
      // The node is unreachable: a gateway error, as an HTTP load balancer in front of it would give.
      reply(res, 502, JSON.stringify({ error: 'upstream unreachable' }));
    }
  }

  const server = http.createServer((req, res) => {
    if (down) return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (down) return void req.socket.destroy();
      const body = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return void dispatch(body, res, false);
      }
      const methods = methodsOf(parsed);
      for (const m of methods) count(m);
      if (methods.some((m) => holding.has(m))) held.push({ methods, body, res });
      else void dispatch(body, res, true);
    });
  });
  server.on('connection', (socket: Socket) => {
    if (down) return void socket.destroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('rpc proxy: no port');

  function unhold(method: string): Pending[] {
    holding.delete(method);
    const free = held.filter((p) => p.methods.includes(method) && !p.methods.some((m) => holding.has(m)));
    held = held.filter((p) => !free.includes(p));
    return free;
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    setDown(value) {
      down = value;
    },
    hold(method) {
      holding.add(method);
    },
    release(method) {
      for (const p of unhold(method)) void dispatch(p.body, p.res, false);
    },
    dropHeld(method, how = 'status503') {
      for (const p of unhold(method)) {
        if (how === 'destroy') p.res.socket?.destroy();
        else reply(p.res, 503, JSON.stringify({ error: 'dropped by rpc proxy' }));
      }
    },
    failNext(method, n, error) {
      if (n > 0) failures.set(method, { count: n, error });
      else failures.delete(method);
    },
    calls(method) {
      return counts.get(method) ?? 0;
    },
    waitForCall(method, n, timeoutMs = 15_000) {
      if ((counts.get(method) ?? 0) >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          method,
          n,
          resolve: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`rpc proxy: ${method} call ${n} did not arrive within ${timeoutMs} ms (${counts.get(method) ?? 0} so far)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        held = [];
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
