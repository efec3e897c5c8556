import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** PostgreSQL server binaries: PG_BIN, else /usr/local/bin (this image links them there), else Debian's newest /usr/lib/postgresql/N/bin. */
const BIN = ((): string => {
  if (process.env['PG_BIN'] !== undefined) return process.env['PG_BIN'];
  if (fs.existsSync('/usr/local/bin/initdb')) return '/usr/local/bin';
  const versions = fs.existsSync('/usr/lib/postgresql')
    ? fs
        .readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions.length > 0 ? `/usr/lib/postgresql/${versions[0]}/bin` : '/usr/local/bin';
})();
const SUPERUSER = 'postgres';
/** Attempts to start on a free port: another process may take the port between probe and bind. */
const PORT_ATTEMPTS = 5;

export interface TestPostgres {
  /** URL of the database `atalaya` on the cluster. */
  readonly url: string;
  /** Creates another empty database and returns its URL (one per test keeps tests apart). */
  newDatabase(): Promise<string>;
  /** Stops the server at once (-m immediate) and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster for one test file: initdb in a temp dir, the server on 127.0.0.1
 * and a free port with a Unix socket in the same dir, trust auth, fsync off (tests only: a crash
 * may corrupt it, and nobody cares). PostgreSQL refuses to run as root, so when the tests are
 * root, the files belong to the postgres user and the binaries run through runuser.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-pg-'));
  const data = path.join(dir, 'data');
  const asOwner = await ownerCommand(dir);
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) {
      started = false;
      await run(...asOwner(`${BIN}/pg_ctl`, ['stop', '-D', data, '-m', 'immediate', '-w'])).catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run(...asOwner(`${BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--no-sync', '--no-instructions']));
    const port = await startOnFreePort(asOwner, dir, data);
    started = true;
    const base = `postgres://${SUPERUSER}@127.0.0.1:${port}`;
    const admin = async (sql: string): Promise<void> => {
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    let databases = 0;
    const newDatabase = async (): Promise<string> => {
      const name = `atalaya_${++databases}`;
      // FILE_COPY: copying the template's few files beats WAL-logging them block by block.
      await admin(`CREATE DATABASE ${name} STRATEGY FILE_COPY`);
      return `${base}/${name}`;
    };
    await admin('CREATE DATABASE atalaya STRATEGY FILE_COPY');
    return { url: `${base}/atalaya`, newDatabase, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

type Command = (file: string, args: string[]) => [string, string[]];

/** Runs the PostgreSQL binaries as the postgres user when we are root, else as ourselves. */
async function ownerCommand(dir: string): Promise<Command> {
  if (process.getuid?.() !== 0) return (file, args) => [file, args];
  const uid = Number((await run('id', ['-u', SUPERUSER])).stdout.trim());
  const gid = Number((await run('id', ['-g', SUPERUSER])).stdout.trim());
  fs.chownSync(dir, uid, gid);
  return (file, args) => ['runuser', ['-u', SUPERUSER, '--', file, ...args]];
}

async function startOnFreePort(asOwner: Command, dir: string, data: string): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    const options = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`;
    try {
      // -w waits until the server accepts connections; the log says why when it does not.
      await run(...asOwner(`${BIN}/pg_ctl`, ['start', '-D', data, '-w', '-t', '30', '-l', path.join(dir, 'server.log'), '-o', options]));
      return port;
    } catch (err) {
      lastError = err;
      await run(...asOwner(`${BIN}/pg_ctl`, ['stop', '-D', data, '-m', 'immediate', '-w'])).catch(() => undefined);
    }
  }
  const log = fs.existsSync(path.join(dir, 'server.log')) ? fs.readFileSync(path.join(dir, 'server.log'), 'utf8') : '';
  throw new Error(`PostgreSQL did not start after ${PORT_ATTEMPTS} attempts:\n${log}`, { cause: lastError });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
