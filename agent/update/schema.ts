/** Lives in protocols/agent-config/update-schema.ts, with the rest of the agent config the relay validates (issue 16). */
export * from '../../protocols/agent-config/update-schema.ts';
