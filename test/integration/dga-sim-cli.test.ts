import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { simDgaCommand } from '../../cli/sim-dga.ts';
import { waitFor } from '../helpers/wait.ts';

const ENV = 'ATALAYA_TEST_SIM_DGA_PASSWORD';

afterEach(() => {
  delete process.env[ENV];
  vi.restoreAllMocks();
});

describe('atalaya sim dga', () => {
  it('prints its endpoints, serves the obras given, and stops when told', async () => {
    process.env[ENV] = 'clave';
    let out = '';
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const done = simDgaCommand(
      ['--rest-port', '0', '--soap-port', '0', '--obra', 'OB-0602-7:subterranea:20999888-2:77555666-8', '--password-env', ENV, '--log-level', 'silent'],
      { stdout: { write: (s: string) => (out += s) }, until },
    );
    try {
      const rest = await waitFor(() => /dga rest +(\S+)/.exec(out)?.[1], 'the REST endpoint');
      expect(out).toMatch(/dga soap +http:\/\/127\.0\.0\.1:\d+\/controlextraccion\/datosExtraccion\/SendDataExtraccionService/);
      // Two hours ago in DGA's fixed UTC-4, on the hour: never in the future.
      const at = new Date(Date.now() - 6 * 3_600_000);
      const r = await request(`${rest}/mediciones/subterraneas`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', codigoObra: 'OB-0602-7', timeStampOrigen: '2025-01-01T00:00:00-0000' },
        body: JSON.stringify({
          autenticacion: { password: 'clave', rutEmpresa: '77555666-8', rutUsuario: '20999888-2' },
          medicionSubterranea: {
            caudal: '1.00',
            fechaMedicion: at.toISOString().slice(0, 10),
            horaMedicion: `${at.toISOString().slice(11, 13)}:00:00`,
            nivelFreaticoDelPozo: '3.00',
            totalizador: '7',
          },
        }),
      });
      expect(((await r.body.json()) as { status: string }).status).toBe('00');
    } finally {
      stop();
    }
    expect(await done).toBe(0);
  });

  it('answers success with an odd receipt when asked (--odd-receipt), and refuses an unknown form', async () => {
    process.env[ENV] = 'clave';
    let out = '';
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const done = simDgaCommand(
      [
        '--no-soap',
        '--rest-port',
        '0',
        '--obra',
        'OB-0602-7:subterranea:20999888-2:77555666-8',
        '--password-env',
        ENV,
        '--log-level',
        'silent',
        '--odd-receipt',
        'no-data',
      ],
      { stdout: { write: (s: string) => (out += s) }, until },
    );
    try {
      const rest = await waitFor(() => /dga rest +(\S+)/.exec(out)?.[1], 'the REST endpoint');
      const at = new Date(Date.now() - 6 * 3_600_000);
      const r = await request(`${rest}/mediciones/subterraneas`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', codigoObra: 'OB-0602-7', timeStampOrigen: '2025-01-01T00:00:00-0000' },
        body: JSON.stringify({
          autenticacion: { password: 'clave', rutEmpresa: '77555666-8', rutUsuario: '20999888-2' },
          medicionSubterranea: {
            caudal: '1.00',
            fechaMedicion: at.toISOString().slice(0, 10),
            horaMedicion: `${at.toISOString().slice(11, 13)}:00:00`,
            nivelFreaticoDelPozo: '3.00',
            totalizador: '7',
          },
        }),
      });
      const body = (await r.body.json()) as Record<string, unknown>;
      expect(body['status']).toBe('00');
      expect(body).not.toHaveProperty('data');
    } finally {
      stop();
    }
    expect(await done).toBe(0);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await simDgaCommand(['--obra', 'OB-0602-7:subterranea:20999888-2:77555666-8', '--password-env', ENV, '--odd-receipt', 'dotted'])).toBe(2);
    expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining('faults.oddReceipt.form')]);
  });

  it('has help and refuses a malformed obra or a missing password with exit code 2', async () => {
    let out = '';
    expect(await simDgaCommand(['--help'], { stdout: { write: (s: string) => (out += s) } })).toBe(0);
    expect(out).toContain('atalaya sim dga');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await simDgaCommand(['--obra', 'OB-0602-7:pozo:20999888-2:77555666-8', '--password-env', ENV])).toBe(2);
    process.env[ENV] = 'clave';
    expect(await simDgaCommand(['--obra', 'OB-0602-7:pozo:20999888-2:77555666-8', '--password-env', ENV])).toBe(2);
    expect(await simDgaCommand(['--obra', 'OB-0602-7:subterranea:20999888-7:77555666-8', '--password-env', ENV])).toBe(2);
    expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringContaining(ENV),
      expect.stringContaining('--obra'),
      expect.stringContaining('registry[0].informantRut'),
    ]);
  });
});
