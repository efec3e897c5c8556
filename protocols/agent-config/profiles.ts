import { BUILTIN_PROFILES, type Profile } from '../profiles/index.ts';
import type { AgentConfig } from './schema.ts';

/** Built-in profiles plus those defined in the config (which may not shadow a built-in one). */
export function profileTable(config: Pick<AgentConfig, 'profiles'>): Map<string, Profile> {
  const table = new Map(BUILTIN_PROFILES);
  for (const [id, p] of Object.entries(config.profiles)) {
    if (table.has(id)) continue; // reported by checkConfig
    table.set(id, {
      id,
      description: p.description,
      channels: p.channels.map((c) => ({ ...c, bit: c.bit })),
      status: p.status.map((s) => ({ ...s, type: 'bit' as const })),
      derived: p.derived,
    });
  }
  return table;
}
