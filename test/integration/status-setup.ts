import http from 'node:http';
import type { Agent } from '../../agent/main.ts';
import { hashStatusToken } from '../../agent/status/auth.ts';

export const STATUS_TOKEN = 'ats_integration-token-abcdef0123456789';
/** The agent's status section for tests: loopback, any free port, the test token. */
export const statusSection = { host: '127.0.0.1', port: 0, tokens: [hashStatusToken(STATUS_TOKEN)] };

export function statusUrl(agent: Agent): string {
  return `http://127.0.0.1:${agent.statusAddress!.port}`;
}

export async function api<T = Record<string, unknown>>(agent: Agent, path: string, body?: object): Promise<{ status: number; body: T }> {
  const r = await fetch(`${statusUrl(agent)}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${STATUS_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: (r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
}

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

export interface SseStream {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens GET /api/events with a header (cookie or bearer) and parses events as they arrive. */
export function openEvents(agent: Agent, headers: Record<string, string>): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${statusUrl(agent)}/api/events`, { headers }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let event = 'message';
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data !== undefined) events.push({ event, data: JSON.parse(data) });
        }
      });
      const ended = new Promise<void>((done) => res.once('close', () => done()));
      resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], events, comments, ended, close: () => req.destroy() });
    });
    req.once('error', reject);
  });
}
