import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { notifySimCertFailed } from './errors.ts';

const run = promisify(execFile);

export interface SelfSigned {
  readonly key: string;
  readonly cert: string;
  /** The certificate's file: what a client names as its CA file to trust the double. */
  readonly certFile: string;
  readonly dir: string;
}

/** A self-signed P-256 certificate for localhost and 127.0.0.1, one day, made with the openssl CLI in a new temp dir. */
export async function selfSigned(): Promise<SelfSigned> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-sim-notify-'));
  const keyFile = path.join(dir, 'smtp.key');
  const certFile = path.join(dir, 'smtp.crt');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
    return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile, dir };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw notifySimCertFailed(err);
  }
}
