// Structured logs (pino). Secrets never reach a log line: pass identifiers and outcomes only.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';
import { currentRequestId } from './http/request-context.ts';

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    // Every line logged while serving a request carries its id (as its audit events do).
    mixin() {
      const id = currentRequestId();
      return id ? { req_id: id } : {};
    },
    redact: { paths: ['*.password', '*.new_password', '*.new_password_confirm', '*.otp', '*.totp', 'req.headers.cookie', 'req.headers.authorization'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
