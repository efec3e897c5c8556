/** Moved to protocols/agent-config/alarms-resolve.ts so the relay validates a gateway's config with the same code (issue 16). */
export * from '../../protocols/agent-config/alarms-resolve.ts';
