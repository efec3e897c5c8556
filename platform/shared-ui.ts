/**
 * Browser modules both pages load (the agent's status page and the relay's dashboard), kept once
 * in platform/ui/ and served by each server beside its own ui/ files. The build copies that folder
 * like every ui/ folder (bin/copy-assets.mjs).
 */
import { fileURLToPath } from 'node:url';

/** Names of the shared modules, each served as assets/<name>. */
export const SHARED_UI_FILES = ['i18n.js'] as const;

export type SharedUiFile = (typeof SHARED_UI_FILES)[number];

/** The absolute path of a shared browser module. */
export function sharedUiFile(name: SharedUiFile): string {
  return fileURLToPath(new URL(`./ui/${name}`, import.meta.url));
}
