/**
 * The environment the systemd unit (deploy/pi/atalaya-agent.service) gives the agent: its
 * `Environment=` lines, parsed as systemd does for the forms the unit uses (`Environment=A=b` and
 * `Environment="A=b c" D=e`, a later assignment of a name winning). The footprint benchmark runs the
 * agent with exactly this, so the unit file is the one place its V8 flags and allocator settings
 * are written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const UNIT_FILE = path.resolve('deploy/pi/atalaya-agent.service');

export function unitEnvironment(file = UNIT_FILE): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*Environment=(.*)$/.exec(line);
    if (m === null) continue;
    // Words: a double-quoted run or a run of non-blanks.
    for (const word of m[1]!.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []) {
      const text = word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/g, '$1') : word;
      const eq = text.indexOf('=');
      if (eq > 0) env[text.slice(0, eq)] = text.slice(eq + 1);
    }
  }
  return env;
}
