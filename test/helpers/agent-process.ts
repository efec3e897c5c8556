/** `atalaya agent` as a real child process, and its buffer file read from outside. */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { AtalayaProcess, cleanEnv } from './relay-process.ts';

/**
 * Writes an agent config (JSON is YAML) to `file`. `config` is the document as an operator would
 * write it; see agent/config/schema.ts.
 */
export function writeAgentConfig(file: string, config: Record<string, unknown>): string {
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** `atalaya agent -c <configFile>`, once it has logged "agent started" (buffer open, sync running). */
export async function startAgentProcess(configFile: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<AtalayaProcess> {
  const p = new AtalayaProcess(['agent', '-c', configFile], env);
  try {
    await p.waitForMessage('agent started');
    return p;
  } catch (err) {
    await p.kill();
    throw err;
  }
}

export interface BufferState {
  /** Records not yet released (the `records` view). */
  readonly count: number;
  /** Seqs of those records, ascending. */
  readonly seqs: number[];
  /** meta.next_seq: every seq below it was committed once. */
  readonly nextSeq: number;
}

/**
 * What another connection sees of the agent's buffer: committed state only. undefined while the
 * file or its schema does not exist yet (an agent killed before its first migration).
 */
export function readBuffer(file: string): BufferState | undefined {
  if (!fs.existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const seqs = db.prepare('SELECT seq FROM records ORDER BY seq').pluck().all() as number[];
    const nextSeq = db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").pluck().get() as number;
    return { count: seqs.length, seqs, nextSeq };
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_ERROR') return undefined; // no such table yet
    throw err;
  } finally {
    db?.close();
  }
}
