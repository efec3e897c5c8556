/**
 * deploy/cloud without Docker (issue 8): compose.yaml, relay.yaml, the Caddyfile, the monitoring
 * files and the Dockerfile read as the tools would, and checked against what the relay and the
 * repository really are (the relay's config schema, tsconfig.build.json, deploy/grafana).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { execForm, instructions, parseCopy, parseDockerfile, type Stage } from '../helpers/dockerfile.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(ROOT, 'deploy/cloud');
const read = (file: string): string => readFileSync(path.join(DIR, file), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  secrets?: string[];
  command?: string[];
}
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; secrets: Record<string, { file: string }> };
const services = compose.services;
const relayNames = Object.keys(services).filter((name) => services[name]!.build?.dockerfile === 'deploy/cloud/Dockerfile');
const relayConfig = parseRelayConfig(parse(read('relay.yaml')), 'deploy/cloud/relay.yaml', {});
const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1)!;

/** `./x:/y:ro` → { source: ./x, target: /y }. */
function mount(volume: string): { source: string; target: string } {
  const [source, target] = volume.split(':');
  return { source: source!, target: target! };
}

/** A compose value that is only a reference to the environment (.env), never the value itself. */
const isReference = (value: string): boolean => /^\$\{[A-Z_][A-Z0-9_]*(?:(?::?[-?])[^}]*)?\}$/.test(value);

describe('compose.yaml', () => {
  it('runs two relays from the Dockerfile, both on the one PostgreSQL 16 database of relay.yaml', () => {
    expect(relayNames).toEqual(['relay-1', 'relay-2']);
    const postgres = Object.entries(services).find(([, s]) => s.image?.startsWith('postgres:16'));
    expect(postgres).toBeDefined();

    // One config file for both: the database URL cannot differ between them.
    const configs = relayNames.map((name) => services[name]!.volumes!.map(mount).find((m) => m.target === '/etc/atalaya/relay.yaml'));
    expect(configs).toEqual([
      { source: './relay.yaml', target: '/etc/atalaya/relay.yaml' },
      { source: './relay.yaml', target: '/etc/atalaya/relay.yaml' },
    ]);
    // ... which is where the image's command reads it.
    expect(execForm(instructions(runtime, 'CMD')[0]!.args)).toEqual(['relay', '-c', '/etc/atalaya/relay.yaml']);

    expect(relayConfig.storage.kind).toBe('postgres');
    const url = new URL(relayConfig.storage.kind === 'postgres' ? relayConfig.storage.url : '');
    expect(url.hostname).toBe(postgres![0]);
    expect(url.password).toBe('');
    expect(url.username).toBe(postgres![1].environment!['POSTGRES_USER']);
    expect(url.pathname).toBe(`/${postgres![1].environment!['POSTGRES_DB']}`);
    for (const name of relayNames) {
      expect(services[name]!.depends_on?.[postgres![0]]).toEqual({ condition: 'service_healthy' });
      // The relays' own copy of the password is the one PostgreSQL was given.
      expect(services[name]!.environment!['PGPASSWORD']).toBe(postgres![1].environment!['POSTGRES_PASSWORD']);
    }
  });

  it('writes no secret: passwords, keys and tokens come from the environment or secret files', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|KEY|TOKEN|SECRET/.test(key) && !key.endsWith('__FILE')) expect(isReference(value), `${name}.environment.${key}`).toBe(true);
      }
    }
    for (const { file } of Object.values(compose.secrets)) expect(file.startsWith('./secrets/'), file).toBe(true);
    expect(read('.gitignore').split('\n')).toEqual(expect.arrayContaining(['.env', 'secrets/']));
    // The relay key must come from ATALAYA_RELAY_KEY: no key file, no token hashes in the file.
    expect(relayConfig.keyFile).toBeUndefined();
    expect(relayConfig.apiTokens).toEqual([]);
    for (const line of read('.env.example')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l) && /PASSWORD|KEY|TOKEN/.test(l)))
      expect(line, line).toMatch(/=$/);
  });

  it("gives every long-running service a health check; the relays use the image's own", () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'grafana-dashboards') continue; // a one-shot job
      expect(service.healthcheck?.test, name).toBeDefined();
    }
    const image = execForm(instructions(runtime, 'HEALTHCHECK')[0]!.args);
    for (const name of relayNames) expect(services[name]!.healthcheck!.test).toEqual(['CMD', ...image]);
    expect(read('healthcheck.mjs')).toContain(`127.0.0.1:${relayConfig.listen.port}/healthz`);
  });

  it('puts the relays behind Caddy with TLS: only the proxy is published, and it routes to both', () => {
    for (const name of relayNames) expect(services[name]!.ports, name).toBeUndefined();
    // Only the proxy stands between clients and a relay: one trusted hop.
    expect(relayConfig.listen.trustProxy).toBe(1);
    expect(relayConfig.listen.tls).toBeUndefined();
    const proxy = services['proxy']!;
    expect(proxy.image).toMatch(/^caddy:2/);
    expect(proxy.ports).toContain('443:443');
    expect(proxy.volumes!.map(mount)).toContainEqual({ source: './Caddyfile', target: '/etc/caddy/Caddyfile' });

    const caddyfile = read('Caddyfile')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(caddyfile).toContain('tls internal');
    const upstreams = caddyfile
      .filter((l) => l.startsWith('reverse_proxy '))
      .flatMap((l) =>
        l
          .replace(/\s*\{$/, '')
          .split(/\s+/)
          .slice(1),
      );
    expect(upstreams.sort()).toEqual(relayNames.map((name) => `${name}:${relayConfig.listen.port}`));
    expect(caddyfile).toContain('health_uri /healthz');
  });

  it("adds Prometheus and Grafana, with deploy/grafana's dashboards, only under the monitoring profile", () => {
    for (const name of ['prometheus', 'grafana', 'grafana-dashboards']) expect(services[name]!.profiles, name).toEqual(['monitoring']);
    for (const name of ['postgres', 'proxy', ...relayNames]) expect(services[name]!.profiles, name).toBeUndefined();

    const prometheus = parse(read('prometheus.yml')) as {
      scrape_configs: Array<{ authorization: { credentials_file: string }; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = prometheus.scrape_configs[0]!;
    expect(job.static_configs.flatMap((s) => s.targets).sort()).toEqual(relayNames.map((name) => `${name}:${relayConfig.listen.port}`));
    expect(job.authorization.credentials_file).toBe(`/run/secrets/${services['prometheus']!.secrets![0]}`);

    // The dashboards are read where the other issue put them, not copied.
    const source = services['grafana-dashboards']!.volumes!.map(mount).find((m) => m.target === '/dashboards')!.source;
    const dashboards = path.resolve(DIR, source);
    expect(dashboards).toBe(path.join(ROOT, 'deploy/grafana'));
    const files = readdirSync(dashboards).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    expect(readdirSync(DIR, { recursive: true }).filter((f) => String(f).endsWith('.json'))).toEqual([]);
    // Each uses the data source input the job replaces, with the uid Grafana is provisioned with.
    for (const f of files) expect(readFileSync(path.join(dashboards, f), 'utf8')).toContain('${DS_PROMETHEUS}');
    expect(services['grafana-dashboards']!.command!.join(' ')).toContain('s/\\$${DS_PROMETHEUS}/prometheus/g');
    const datasources = parse(read('grafana/provisioning/datasources/prometheus.yaml')) as { datasources: Array<{ uid: string; url: string }> };
    expect(datasources.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
    const provider = parse(read('grafana/provisioning/dashboards/atalaya.yaml')) as { providers: Array<{ options: { path: string } }> };
    const grafanaMounts = services['grafana']!.volumes!.map(mount);
    expect(grafanaMounts).toContainEqual({ source: 'grafana-dashboards', target: '/var/lib/grafana/dashboards' });
    expect(provider.providers[0]!.options.path.startsWith('/var/lib/grafana/dashboards/')).toBe(true);
    expect(grafanaMounts).toContainEqual({ source: './grafana/provisioning', target: '/etc/grafana/provisioning' });
  });
});

describe('Dockerfile', () => {
  const stage = (name: string): Stage => stages.find((s) => s.name === name)!;

  it('builds in one stage and runs in another, as an unprivileged user, with a health check', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const users = instructions(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]!.args).not.toMatch(/^(root|0)(:|$)/);
    expect(instructions(runtime, 'HEALTHCHECK')).toHaveLength(1);
    expect(execForm(instructions(runtime, 'ENTRYPOINT')[0]!.args)).toEqual(['node', '/opt/atalaya/bin/atalaya.mjs']);
    // No compiler, no npm install in the image that runs.
    expect(
      instructions(runtime, 'RUN')
        .map((r) => r.args)
        .join('\n'),
    ).not.toMatch(/npm|g\+\+|apt-get/);
  });

  it("compiles every directory tsconfig.build.json includes, and ships only the build's output", () => {
    const { include } = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const copied = instructions(stage('build'), 'COPY').flatMap((c) => parseCopy(c.args).sources.map((s) => s.replace(/\/$/, '')));
    expect(copied).toEqual(expect.arrayContaining([...include, 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin']));
    for (const source of copied) expect(existsSync(path.join(ROOT, source)), source).toBe(true);

    const shipped = instructions(runtime, 'COPY').map((c) => parseCopy(c.args));
    expect(
      shipped
        .filter((c) => c.from === 'build')
        .flatMap((c) => c.sources)
        .sort(),
    ).toEqual(['/src/bin/atalaya.mjs', '/src/dist/', '/src/node_modules/', '/src/package.json']);
    for (const c of shipped.filter((c) => c.from === undefined)) for (const s of c.sources) expect(existsSync(path.join(ROOT, s)), s).toBe(true);
  });
});
