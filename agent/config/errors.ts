/** The agent's config errors are the shared ones (protocols/errors.ts, protocols/config-errors.ts): one code set for agent and relay. */

export { ConfigError, type ConfigProblem } from '../../protocols/config-errors.ts';
export { CONFIG_INVALID, CONFIG_UNREADABLE } from '../../protocols/errors.ts';
