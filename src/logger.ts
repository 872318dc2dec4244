import { createRequire } from 'node:module';
import pino from 'pino';
import type { Config } from './config.js';

export type Logger = pino.Logger;

/**
 * Structured JSON logs; human-readable (pino-pretty, when installed) when stdout is a terminal, so `npm start` reads
 * well while production log shipping gets JSON. Redaction is a backstop: code never logs keys or secrets.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, name: string): Logger {
  return pino({
    name,
    level: config.logLevel,
    ...(process.stdout.isTTY && hasPrettyPrinter() && { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }),
    redact: { paths: ['*.authorization', '*.apiKey', '*.api_key', '*.secret', '*.key'], censor: '[redacted]' },
  });
}

/** pino-pretty is an optional dependency (a production install may leave it out): JSON logs without it. */
function hasPrettyPrinter(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
