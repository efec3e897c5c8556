/** `atalaya sim providers` (cli/sim-providers.ts): the doubles a user runs, on port 0, tokens from the environment. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { simProvidersCommand } from '../../cli/sim-providers.ts';
import { waitFor } from '../helpers/wait.ts';

describe('atalaya sim providers', () => {
  it('serves Tago pages and the CSV export behind their tokens, and posts TTS uplinks with the secret header', async () => {
    const posted: Array<{ secret: unknown; body: Record<string, unknown> }> = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        posted.push({ secret: req.headers['x-atalaya-webhook-secret'], body: JSON.parse(body) as Record<string, unknown> });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    let out = '';
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const env = { ATALAYA_SIM_TAGO_TOKEN: 'tago-t', ATALAYA_SIM_HTTP_TOKEN: 'http-t', ATALAYA_SIM_TTS_SECRET: 'hook-s' };
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/v1/sources/ttn/tts`;
    const running = simProvidersCommand(
      ['--period-ms', '600000', '--history-h', '2', '--tts-url', hookUrl, '--tts-period-ms', '60000', '--bad-row-every', '3'],
      {
        stdout: { write: (s: string) => (out += s) },
        until,
        env,
      },
    );
    try {
      const tago = (await waitFor(() => /tago {2}(\S+)\/data/.exec(out)?.[1], 'the Tago URL')) as string;
      const csv = (await waitFor(() => /http {2}(\S+\.csv)/.exec(out)?.[1], 'the CSV URL')) as string;
      const page = await request(`${tago}/data?variables=caudal&qty=5&ordination=ascending`, { headers: { 'device-token': 'tago-t' } });
      const result = ((await page.body.json()) as { result: Array<Record<string, unknown>> }).result;
      expect(result).toHaveLength(5);
      expect(result[0]).toMatchObject({
        variable: 'caudal',
        unit: 'L/s',
        value: expect.any(Number),
        time: expect.any(String),
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
      });
      expect((await request(`${tago}/data`, { headers: { 'device-token': 'wrong' } })).statusCode).toBe(401);
      const export_ = await request(csv, { headers: { authorization: 'Bearer http-t' } });
      const lines = (await export_.body.text()).trim().split('\r\n');
      expect(lines[0]).toBe('id,equipo,fecha,caudal,totalizador,nivel');
      expect(lines.filter((l) => l.split(',').length === 5)).toHaveLength(Math.floor((lines.length - 1) / 3));
      expect((await request(csv)).statusCode).toBe(401);
      await waitFor(() => posted.length > 0, 'an uplink posted');
      expect(posted[0]?.secret).toBe('hook-s');
      expect(posted[0]?.body).toMatchObject({
        end_device_ids: { device_id: 'caudalimetro-norte' },
        uplink_message: { decoded_payload: { flow: expect.any(Number) } },
      });
    } finally {
      stop();
      expect(await running).toBe(0);
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });
});
