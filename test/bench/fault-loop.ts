/**
 * The long fault loop of issue 19: the short one in the suite (test/integration/
 * buffer-accounting-faults.test.ts) run for many more steps. The agent side (buffer + sync, a
 * buffer that evicts all the time) and the relay are SIGKILLed, the link stalled and cut, on a
 * seeded schedule; prints the accounting (relay + evicted + buffered against the last seq), the
 * faults, the drain time and the agent side's RSS. Asserts nothing; exits 1 if the counts do not
 * add up, so a long run can be left unattended.
 * Run: node bin/run-ts.mjs test/bench/fault-loop.ts [steps] [seed]
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runFaultLoop } from '../helpers/fault-loop.ts';
import { fmt, machineLine, out, procUsage } from './common.ts';

export async function main(steps = 300, seed = 20_261_207): Promise<boolean> {
  out(machineLine());
  const rss: number[] = [];
  const started = Date.now();
  const r = await runFaultLoop({
    steps,
    seed,
    onStep: (_step, pid) => {
      try {
        rss.push(procUsage(pid).rssBytes);
      } catch {
        // The child may be between a kill and its restart.
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const sum = r.atRelay + r.evicted + r.buffered;
  out(`fault loop: ${steps} steps, seed ${seed}, ${fmt(seconds, 0)} s`);
  out(`  faults: ${r.childKills} agent-side SIGKILLs, ${r.relayKills} relay SIGKILLs, link modes ${JSON.stringify(r.modes)}, proxy ${JSON.stringify(r.proxy)}`);
  out(
    `  accounting: relay ${fmt(r.atRelay)} + evicted ${fmt(r.evicted)} + buffered ${fmt(r.buffered)} = ${fmt(sum)}, last seq ${fmt(r.lastSeq)}: ${sum === r.lastSeq ? 'exact' : `OFF BY ${sum - r.lastSeq}`}`,
  );
  out(`  drain after the loop: ${fmt(r.drainMs / 1000, 1)} s`);
  if (rss.length > 0) out(`  agent-side RSS at the steps: min ${fmt(Math.min(...rss) / 2 ** 20, 1)} MiB, max ${fmt(Math.max(...rss) / 2 ** 20, 1)} MiB`);
  return sum === r.lastSeq;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const exact = await main(Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 20_261_207));
  if (!exact) process.exitCode = 1;
}
