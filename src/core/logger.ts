import { type Logger, pino } from 'pino';

/** Structured JSON logs on stderr; secrets and tokens are redacted wherever they appear. */
export function createLogger(level = process.env['GATEHOUSE_LOG_LEVEL'] ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: {
        paths: [
          'token',
          '*.token',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}
