export { openPtyPair, type PtyPair } from '../../simulators/pty.ts';
