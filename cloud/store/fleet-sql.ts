/** The fleet store's statements (fleet-store.ts), one text for SQLite and PostgreSQL. */
export const FLEET_SQL = {
  upsertPoll: `
    INSERT INTO fleet_gateways (gateway, last_poll_at, polls, health_at, health) VALUES ($1, $2, 1, $3, $4)
    ON CONFLICT (gateway) DO UPDATE SET
      last_poll_at = excluded.last_poll_at,
      polls = fleet_gateways.polls + 1,
      health_at = coalesce(excluded.health_at, fleet_gateways.health_at),
      health = coalesce(excluded.health, fleet_gateways.health)`,
  insertHistory: `
    INSERT INTO fleet_health (gateway, at, buffer_depth, disk_free_bytes, cpu_temp_c, rss_bytes, devices_up, devices_total, clock_synced)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (gateway, at) DO NOTHING`,
  pruneHistory: 'DELETE FROM fleet_health WHERE gateway = $1 AND at < $2',
  list: `
    SELECT gateway, last_poll_at AS "lastPollAt", polls, health_at AS "healthAt", health
    FROM fleet_gateways ORDER BY gateway`,
  get: `
    SELECT gateway, last_poll_at AS "lastPollAt", polls, health_at AS "healthAt", health
    FROM fleet_gateways WHERE gateway = $1`,
  history: `
    SELECT at, buffer_depth AS "bufferDepth", disk_free_bytes AS "diskFreeBytes", cpu_temp_c AS "cpuTempC", rss_bytes AS "rssBytes",
      devices_up AS "devicesUp", devices_total AS "devicesTotal", clock_synced AS "clockSynced"
    FROM fleet_health WHERE gateway = $1 AND at >= $2 ORDER BY at LIMIT $3`,
} as const;
