/**
 * The hub's logger: pino, JSON lines in production, readable with HUB_LOG_LEVEL/HUB_LOG_PRETTY in dev.
 * Secrets never reach a log line: tokens, passwords, cookies and session ids are redacted by path.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'ODOO_PASSWORD',
  '*.ODOO_PASSWORD',
  'HUB_ADMIN_TOKEN',
  '*.HUB_ADMIN_TOKEN',
  'ODOO_RPC_HEADERS',
  '*.ODOO_RPC_HEADERS',
  'sessionId',
  '*.sessionId',
  'cookie',
  '*.cookie',
  'headers.cookie',
  'headers["x-openerp-session-id"]',
  'authorization',
  '*.authorization',
];

export interface LoggerOptions {
  readonly level: string;
  readonly pretty?: boolean;
  /** Added to every line: which thread wrote it (front, shard-0, writer…). */
  readonly thread?: string;
  /** Test hook: write lines here instead of stdout. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = { thread: options.thread ?? 'front' };
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (options.destination) {
    return pino({ level: options.level, base, redact }, options.destination);
  }
  if (options.pretty) {
    return pino({ level: options.level, base, redact, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino({ level: options.level, base, redact });
}
