/**
 * Issue 15 §6: both servers serve i18next from its npm package and the UI's catalogues; the list
 * of languages is the catalogue files found in ui/locales/, so a Portuguese page is one more file.
 */
import fs from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerDashboard } from '../../cloud/dashboard/routes.ts';
import { type Fixture, startFixture } from './status-setup.ts';

const DASHBOARD_LOCALES = 'cloud/dashboard/ui/locales';
const TRAVERSALS = ['..%2Fapp.js', '%2e%2e%2fapp.js', 'en.JSON', '.json', 'en.json.bak'];

describe('relay dashboard', () => {
  it('lists the catalogues it has, serves each as JSON and i18next as a module; nothing else under locales/', async () => {
    const app = Fastify();
    try {
      await registerDashboard(app);
      const list = await app.inject({ method: 'GET', url: '/dashboard/assets/locales.json' });
      expect(list.statusCode).toBe(200);
      expect(list.headers['content-type']).toContain('application/json');
      const files = fs.readdirSync(DASHBOARD_LOCALES).filter((f) => f.endsWith('.json'));
      expect(list.json()).toEqual(files.map((f) => f.replace(/\.json$/, '')).sort());
      expect(list.json()).toEqual(expect.arrayContaining(['en', 'es-CL']));
      const es = await app.inject({ method: 'GET', url: '/dashboard/assets/locales/es-CL.json' });
      expect(es.statusCode).toBe(200);
      expect(es.json()).toEqual(JSON.parse(fs.readFileSync(path.join(DASHBOARD_LOCALES, 'es-CL.json'), 'utf8')));
      expect(es.headers['content-security-policy']).toBeDefined();
      const lib = await app.inject({ method: 'GET', url: '/dashboard/assets/i18next.js' });
      expect(lib.statusCode).toBe(200);
      expect(lib.headers['content-type']).toContain('text/javascript');
      expect(lib.body).toMatch(/export \{[^}]*as default/);
      for (const name of TRAVERSALS) expect((await app.inject({ method: 'GET', url: `/dashboard/assets/locales/${name}` })).statusCode, name).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('agent status page', () => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('another language is a file: the list follows ui/locales/; i18next is served without a token', async () => {
    f = await startFixture();
    const locales = path.join(f.dir, 'ui', 'locales');
    fs.mkdirSync(locales);
    for (const tag of ['en', 'es-CL', 'pt-BR']) fs.writeFileSync(path.join(locales, `${tag}.json`), JSON.stringify({ language: { short: tag } }));
    fs.writeFileSync(path.join(locales, 'README.txt'), 'not a catalogue');
    const app = f.server.app!;
    const list = await app.inject({ method: 'GET', url: '/assets/locales.json' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual(['en', 'es-CL', 'pt-BR']);
    const pt = await app.inject({ method: 'GET', url: '/assets/locales/pt-BR.json' });
    expect(pt.statusCode).toBe(200);
    expect(pt.headers['content-type']).toContain('application/json');
    expect(pt.json()).toEqual({ language: { short: 'pt-BR' } });
    const lib = await app.inject({ method: 'GET', url: '/assets/i18next.js' });
    expect(lib.statusCode).toBe(200);
    expect(lib.body).toMatch(/export \{[^}]*as default/);
    for (const name of [...TRAVERSALS, 'README.txt']) {
      const r = await app.inject({ method: 'GET', url: `/assets/locales/${name}` });
      expect(r.statusCode, name).toBe(404);
    }
  });
});
