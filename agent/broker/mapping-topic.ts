/** Lives in protocols/agent-config/mapping-topic.ts, with the rest of the agent config the relay validates (issue 16). */
export * from '../../protocols/agent-config/mapping-topic.ts';
