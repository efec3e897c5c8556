import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The agent's version: the `version` of the nearest package.json named atalaya above this file,
 * which is the checkout's in development and the release's beside dist/ when built.
 */
export function readAgentVersion(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'atalaya' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no (readable) package.json here: look one level up
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
