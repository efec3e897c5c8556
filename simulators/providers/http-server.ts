/** A small loopback HTTP server for the provider simulators: listen on port 0 and close with every connection. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (
  req: http.IncomingMessage,
  url: URL,
) => { status: number; type: string; body: string } | Promise<{ status: number; type: string; body: string }>;

export class SimHttpServer {
  private server: http.Server | undefined;

  constructor(
    private readonly handler: Handler,
    private readonly host = '127.0.0.1',
    private readonly port = 0,
  ) {}

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      Promise.resolve(this.handler(req, url)).then(
        (a) => {
          res.writeHead(a.status, { 'content-type': a.type });
          res.end(a.body);
        },
        () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal error');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | undefined;
    if (addr === undefined) throw new Error('simulator not started');
    return `http://${this.host}:${addr.port}`;
  }
}
