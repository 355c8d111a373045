// Structured logs (pino). Secrets never reach a log line: pass identifiers and outcomes only.
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: ['*.password', '*.new_password', '*.new_password_confirm', '*.otp', '*.totp', 'req.headers.cookie', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
