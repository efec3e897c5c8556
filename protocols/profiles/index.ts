import { flowmeter, flowmeter64 } from './flowmeter.ts';
import { gasDetector } from './gas-detector.ts';
import type { Profile } from './types.ts';

export type { ChannelSpec, DerivedChannelSpec, Profile, StatusBitSpec } from './types.ts';

/** Profiles shipped with Atalaya, by id. A config may define more under `profiles:`. */
export const BUILTIN_PROFILES: ReadonlyMap<string, Profile> = new Map([gasDetector, flowmeter, flowmeter64].map((p) => [p.id, p]));
