import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';

const bin = path.resolve('bin/atalaya.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('atalaya CLI', () => {
  it('has help on every command and refuses unknown ones', () => {
    for (const cmd of ['agent', 'sim', 'demo']) {
      const r = run([cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`atalaya ${cmd}`);
    }
    expect(run(['--help']).status).toBe(0);
    expect(run(['frobnicate']).status).toBe(2);
    expect(run(['agent', '--no-such-flag']).status).toBe(2);
  });

  it('agent --check lists every problem with its path and exits non-zero', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'gateway: {id: gw}\nserial: [{id: l1, path: /dev/x, baudrate: 9600}]\ndevices:\n  - {id: g, profile: gas-detectr, serial: l2}\n');
    const r = run(['agent', '--check', '-c', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("serial[0].baudrate: unknown key (did you mean 'baudRate'?)");
    expect(r.stderr).toContain('devices[0].profile');
    expect(r.stderr).toContain('devices[0].serial');
    const ok = run(['agent', '--check', '-c', path.resolve('deploy/examples/agent.yaml')]);
    expect(ok.status).toBe(0);
  });

  it('sim serves TCP and a pty line, and agent --once reads both as a table', async () => {
    const sim = spawn(
      process.execPath,
      [bin, 'sim', '--tcp', '0', '--pty', path.join(dir, 'pty'), '--baud', '19200', '--device', '1=gas-detector:steady', '--device', '2=flowmeter:steady'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    sim.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = await waitFor(() => /modbus tcp +127\.0\.0\.1:(\d+)/.exec(out)?.[1], 'sim tcp port');
      const line = await waitFor(() => /agent side: (\S+)\)/.exec(out)?.[1], 'sim pty path');
      const file = path.join(dir, 'once.yaml');
      writeFileSync(
        file,
        `gateway: {id: gw}
serial: [{id: l1, path: ${line}, baudRate: 19200}]
devices:
  - {id: gas-tcp, profile: gas-detector, tcp: {host: 127.0.0.1, port: ${port}}, unitId: 1}
  - {id: flow-rtu, profile: flowmeter, serial: l1, unitId: 2, params: {sensorDepthM: 60}}
`,
      );
      const r = run(['agent', '--once', '-c', file]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/));
      expect(rows[0]).toEqual(['DEVICE', 'CHANNEL', 'VALUE', 'UNIT', 'QUALITY']);
      expect(rows).toContainEqual(['gas-tcp', 'o2', '20.9', '%vol', 'good']);
      expect(rows).toContainEqual(['flow-rtu', 'flow', '12.5', 'L/s', 'good']);
      expect(rows).toContainEqual(['flow-rtu', 'level', '25', 'm', 'good']);
    } finally {
      const exited = new Promise((r) => sim.once('exit', r));
      sim.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('agent --once exits 3 and says why when a device does not answer', () => {
    const file = path.join(dir, 'dead.yaml');
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    writeFileSync(file, 'gateway: {id: gw}\ndevices:\n  - {id: gas, profile: gas-detector, tcp: {host: 127.0.0.1, port: 9, timeoutMs: 200}}\n');
    const r = run(['agent', '--once', '-c', file]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/gas\s+ch4\s+-\s+%LEL\s+comm_error/);
  });
});

describe('atalaya sim --gaslyt', () => {
  it('publishes a detector over MQTT into an agent broker', async () => {
    const { Agent } = await import('../../agent/main.ts');
    const { parseConfig } = await import('../../agent/config/load.ts');
    const { hashPassword } = await import('../../platform/passwords.ts');
    const { testLogger } = await import('../helpers/logger.ts');
    const agent = new Agent(
      parseConfig({
        gateway: { id: 'gw' },
        buffer: { path: path.join(dir, 'gaslyt.db'), commitIntervalMs: 20 },
        status: { host: '127.0.0.1', port: 0 },
        mqtt: {
          listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
          users: [{ username: 'det-9', password: await hashPassword('pw-9'), publish: ['atalaya/in/%u/#'], subscribe: [] }],
        },
      }),
      { logger: testLogger() },
    );
    await agent.start();
    const port = agent.broker!.addresses()[0]!.port;
    const sim = spawn(process.execPath, [bin, 'sim', '--no-tcp', '--mqtt', `mqtt://127.0.0.1:${port}`, '--gaslyt', 'det-9:steady', '--mqtt-interval', '200'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ATALAYA_SIM_MQTT_PASSWORD: 'pw-9' },
    });
    const exited = new Promise((r) => sim.once('exit', r));
    try {
      const o2 = await waitFor(() => agent.buffer.latest().find((r) => r.device === 'det-9' && r.channel === 'o2'), 'detector telemetry in the buffer');
      expect(o2).toMatchObject({ value: 20.9, unit: '%vol', quality: 'good' });
    } finally {
      sim.kill('SIGTERM');
      await exited;
      await agent.stop();
    }
  });
});
