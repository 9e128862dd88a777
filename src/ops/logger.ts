import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: structured JSON on stderr (stdout may carry the stdio transport's
 * protocol stream). Level from the argument, else ERLMCP_LOG_LEVEL, else 'info'.
 */
export function createLogger(level?: string): Logger {
  return pino(
    { name: 'erlmcp', level: level ?? process.env.ERLMCP_LOG_LEVEL ?? 'info' },
    pino.destination({ fd: 2, sync: false }),
  );
}
