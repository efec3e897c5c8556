/**
 * The relay's extension point of the fleet channel (protocols/fleet/README.md): a feature that
 * talks to gateways (remote configuration, commands, updates) registers one part, by name, in the
 * composition root (cloud/main.ts). On each accepted poll the FleetService calls onReport with
 * the gateway's report for this part (only when the poll carries one), then answer for every
 * registered part; what answer returns (undefined: nothing) goes to the gateway under the part's
 * name, in the signed answer.
 */
export interface FleetRelayPart {
  /** The key of this part in polls and answers (protocols/fleet/types.ts PART_NAME). */
  readonly name: string;
  /** The gateway's report for this part: unvalidated JSON, the part checks it. */
  onReport(gatewayId: string, report: unknown, now: number): Promise<void>;
  /** What to tell the gateway now; undefined for nothing. Must be JSON-serialisable. */
  answer(gatewayId: string, now: number): Promise<unknown | undefined>;
}
