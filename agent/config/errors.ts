/** The agent's config errors are the shared ones (protocols/config-errors.ts): one code set for agent and relay. */
export { CONFIG_INVALID, CONFIG_UNREADABLE, ConfigError, type ConfigProblem } from '../../protocols/config-errors.ts';
