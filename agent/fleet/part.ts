/**
 * The agent's extension point of the fleet channel (protocols/fleet/README.md): a feature that
 * the relay steers (remote configuration, commands, updates) registers one part on the
 * FleetClient, by name, in the composition root (agent/main.ts). Each poll carries every part's
 * report(); each verified answer is handed to apply() of each part it names.
 */
export interface FleetPart {
  /** The key of this part in polls and answers (protocols/fleet/types.ts PART_NAME). */
  readonly name: string;
  /** What the relay should know now (JSON-serialisable); undefined leaves the part out of this poll. Kept small: it goes on every poll. */
  report(): unknown | Promise<unknown>;
  /**
   * The relay's answer for this part, from an answer whose signature was verified for the poll
   * just sent: unvalidated JSON, the part checks it. Awaited before the next part's apply and
   * the next poll: long work (a download) belongs in the background, reported through report().
   */
  apply(answer: unknown): Promise<void>;
}
