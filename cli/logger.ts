import pino, { type Logger } from 'pino';

/**
 * The root logger of a process. JSON lines for journald and log shippers; `destination` 2 keeps
 * stdout free for commands that print a result (a table, a schema).
 */
export function rootLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      // Belt and braces: no secret reaches a log line even if a caller passes one by mistake.
      redact: { paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token', 'key', '*.key'], censor: '[redacted]' },
    },
    pino.destination({ fd: destination, sync: true }),
  );
}
