import pino, { type Logger } from 'pino';

/** A logger for tests: silent unless ATALAYA_TEST_LOG names a level. */
export function testLogger(): Logger {
  return pino({ level: process.env['ATALAYA_TEST_LOG'] ?? 'silent' });
}
