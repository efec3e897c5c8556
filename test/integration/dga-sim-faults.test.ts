import { errors, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { isAtalayaError } from '../../protocols/errors.ts';
import { ATALAYA_DGA_SIM_CONFIG } from '../../simulators/dga/errors.ts';
import type { DgaFaults } from '../../simulators/dga/faults.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import type { RegistryEntry } from '../../simulators/dga/types.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

const INFORMANT = '20999888-2';
const EMPRESA = '77555666-8';
const REGISTRY: RegistryEntry[] = [
  { obra: 'OB-0602-7', kind: 'subterranea', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto' },
  { obra: 'OB-0602-8', kind: 'subterranea', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto' },
];
const clock = {
  t: 0,
  now(): number {
    return this.t;
  },
  monotonic(): number {
    return this.t;
  },
};
const sims: DgaSimulator[] = [];

afterEach(async () => {
  for (const s of sims.splice(0)) await s.stop();
});

async function startSim(faults: DgaFaults = {}, seed = 3): Promise<DgaSimulator> {
  clock.t = Date.UTC(2025, 5, 16, 14, 0, 0);
  const sim = new DgaSimulator({ rest: { host: '127.0.0.1', port: 0 }, clock, logger: testLogger(), registry: REGISTRY, faults, seed });
  sims.push(sim);
  await sim.start();
  return sim;
}

/** A well measurement at `hour` (UTC-4) of 2025-06-16 for `obra`. */
function send(sim: DgaSimulator, hour: number, obra = 'OB-0602-7', opts: { headersTimeout?: number } = {}): ReturnType<typeof request> {
  const body = {
    autenticacion: { password: 'secreto', rutEmpresa: EMPRESA, rutUsuario: INFORMANT },
    medicionSubterranea: {
      caudal: '1.50',
      fechaMedicion: '2025-06-16',
      horaMedicion: `${String(hour).padStart(2, '0')}:00:00`,
      nivelFreaticoDelPozo: '9.80',
      totalizador: '1010',
    },
  };
  return request(`${sim.restUrl}/mediciones/subterraneas`, {
    method: 'POST',
    body: JSON.stringify(body),
    headersTimeout: opts.headersTimeout ?? 10_000,
    headers: { 'content-type': 'application/json', codigoObra: obra, timeStampOrigen: '2025-06-16T10:00:00-0000' },
  });
}

async function json(r: Awaited<ReturnType<typeof request>>): Promise<Record<string, unknown>> {
  return (await r.body.json()) as Record<string, unknown>;
}

describe('DGA simulator faults', () => {
  it('timeoutAfterStore: stores, never answers; the next send is a duplicate naming that receipt', async () => {
    const sim = await startSim({ timeoutAfterStore: {} });
    await expect(send(sim, 9, 'OB-0602-7', { headersTimeout: 300 })).rejects.toBeInstanceOf(errors.HeadersTimeoutError);
    const [held] = sim.measurements('OB-0602-7');
    expect(held?.horaMedicion).toBe('09:00:00');
    expect(sim.requests().map((r) => r.outcome)).toEqual(['stored-unanswered']);
    await sim.setFaults({});
    const again = await send(sim, 9);
    expect(again.statusCode).toBe(400);
    expect((await json(again))['message']).toBe(`Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${held!.receipt}`);
  });

  it('timeoutAfterStore with answerAfterMs: the answer comes late, with the receipt of what was stored', async () => {
    const sim = await startSim({ timeoutAfterStore: { answerAfterMs: 200 } });
    const r = await send(sim, 9);
    expect(r.statusCode).toBe(200);
    expect(((await json(r))['data'] as Record<string, unknown>)['numeroComprobante']).toBe(sim.measurements('OB-0602-7')[0]!.receipt);
  });

  it('html5xx: an HTML page from the proxy, nothing stored; seeded draws repeat', async () => {
    const sim = await startSim({ html5xx: { status: 503 } });
    const r = await send(sim, 9);
    expect(r.statusCode).toBe(503);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(await r.body.text()).toContain('<html>');
    expect(sim.measurements('OB-0602-7')).toEqual([]);
    expect(sim.requests()[0]).toMatchObject({ outcome: 'proxy-error', httpStatus: 503 });

    const outcomes = async (seed: number): Promise<number[]> => {
      const s = await startSim({ html5xx: { probability: 0.5 } }, seed);
      const codes: number[] = [];
      for (let h = 0; h < 8; h++) {
        const a = await send(s, h);
        await a.body.dump();
        codes.push(a.statusCode);
      }
      return codes;
    };
    const first = await outcomes(11);
    expect(first).toContain(502);
    expect(first).toContain(200);
    expect(await outcomes(11)).toEqual(first);
  });

  it('slowMs: a client that gives up first still leaves the measurement stored once the answer is made', async () => {
    const sim = await startSim({ slowMs: 1500 });
    await expect(send(sim, 9, 'OB-0602-7', { headersTimeout: 100 })).rejects.toBeInstanceOf(errors.HeadersTimeoutError);
    expect(sim.measurements('OB-0602-7')).toEqual([]);
    await waitFor(() => sim.measurements('OB-0602-7').length === 1, 'the slow send to be stored');
  });

  it('blockBursts: a second POST of an obra within 5 minutes is blocked, and blocked attempts count', async () => {
    const sim = await startSim({ blockBursts: {} });
    const t0 = clock.t;
    const answer = async (hour: number, obra?: string): Promise<number> => {
      const r = await send(sim, hour, obra);
      const text = await r.body.text();
      if (r.statusCode === 403) expect(text).toContain('rejected');
      return r.statusCode;
    };
    expect(await answer(1)).toBe(200);
    clock.t = t0 + 60_000;
    expect(await answer(2)).toBe(403);
    expect(await answer(2, 'OB-0602-8')).toBe(200);
    clock.t = t0 + 301_000; // 5 min after the first, but only 4 after the blocked one
    expect(await answer(2)).toBe(403);
    clock.t = t0 + 301_000 + 300_000;
    expect(await answer(2)).toBe(200);
    expect(sim.measurements('OB-0602-7').map((m) => m.horaMedicion)).toEqual(['01:00:00', '02:00:00']);
    expect(sim.requests().filter((r) => r.outcome === 'blocked')).toHaveLength(2);
  });

  it('down: connections refused, then served again on the same port', async () => {
    const sim = await startSim();
    const port = sim.restPort;
    expect((await send(sim, 1)).statusCode).toBe(200);
    await sim.setFaults({ down: true });
    await expect(send(sim, 2)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.setFaults({});
    expect(sim.restPort).toBe(port);
    expect((await send(sim, 2)).statusCode).toBe(200);
    expect(sim.measurements('OB-0602-7')).toHaveLength(2);
  });

  it('oddReceipt: stores the measurement and answers success with a dashed receipt, no data or an empty one', async () => {
    const sim = await startSim({ oddReceipt: {} });
    const dashed = await json(await send(sim, 9));
    const [stored] = sim.measurements('OB-0602-7');
    expect(dashed).toMatchObject({ status: '00', data: { numeroComprobante: stored!.receipt.slice(0, 12).match(/.{4}/g)!.join('-') } });
    await sim.setFaults({ oddReceipt: { form: 'no-data' } });
    const noData = await json(await send(sim, 10));
    expect(noData['status']).toBe('00');
    expect(noData).not.toHaveProperty('data');
    await sim.setFaults({ oddReceipt: { form: 'empty' } });
    expect(await json(await send(sim, 8))).toMatchObject({ status: '00', data: { numeroComprobante: '' } });
    expect(
      sim
        .measurements('OB-0602-7')
        .map((m) => m.horaMedicion)
        .sort(),
    ).toEqual(['08:00:00', '09:00:00', '10:00:00']);
    expect(sim.requests().map((r) => r.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    await expect(sim.setFaults({ oddReceipt: { form: 'dotted' as 'dashed' } })).rejects.toMatchObject({ code: ATALAYA_DGA_SIM_CONFIG });
  });

  it('refuses bad options and faults with every problem named', async () => {
    const sim = new DgaSimulator({
      rest: { host: '127.0.0.1', port: 70000 },
      clock,
      logger: testLogger(),
      registry: [{ obra: 'OB-62-7', kind: 'subterranea', informantRut: '20999888-7', rutEmpresa: EMPRESA, password: '' }],
      faults: { html5xx: { status: 500 as 502 } },
    });
    const err: unknown = await sim.start().catch((e: unknown) => e);
    expect(isAtalayaError(err, ATALAYA_DGA_SIM_CONFIG)).toBe(true);
    const paths = (err as { details: { problems: { path: string }[] } }).details.problems.map((p) => p.path);
    expect(paths).toEqual(['rest.port', 'registry[0].obra', 'registry[0].informantRut', 'registry[0].password', 'faults.html5xx.status']);
    const ok = await startSim();
    await expect(ok.setFaults({ slowMs: -1 })).rejects.toMatchObject({ code: ATALAYA_DGA_SIM_CONFIG });
  });
});
