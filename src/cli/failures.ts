// How an error ends the CLI: one message on stderr and the exit code of README "CLI".
import { CommanderError } from 'commander';
import pc from 'picocolors';
import { ChainportError, WebhookVerificationError } from '../client/index.js';
import { RUN_ERROR_CODES } from '../records/schemas.js';
import { EXIT, SetupError, UsageError } from './context.js';
import { terminalSafe } from './terminal-text.js';

/** Codes of a run that did not complete (it ended otherwise, or a sync wait ended first): the run's outcome, not a failed request. */
export const RUN_NOT_COMPLETED: ReadonlySet<string> = new Set([...RUN_ERROR_CODES, 'wait_timeout']);
/** Codes that say the command's arguments were wrong (the chain name, the input). */
const USAGE_CODES: ReadonlySet<string> = new Set(['validation_failed', 'chain_not_found']);

/** Prints what went wrong (and what to do) and answers the exit code. */
export function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander printed its message already; help and --version end normally.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError) {
    fail(err.message, 'See `chainport --help`.');
    return EXIT.usage;
  }
  if (err instanceof SetupError) {
    fail(err.message);
    return EXIT.api;
  }
  if (err instanceof WebhookVerificationError) {
    fail(`The delivery does not verify (${err.reason}): ${err.message}`);
    return EXIT.runNotCompleted;
  }
  if (err instanceof ChainportError) {
    const details = (err.problem?.errors ?? []).map((e) => `  ${e.path || '(body)'}: ${e.message}`);
    const hint = err.code === 'unauthorized' ? 'Check CHAINPORT_API_KEY (or the dev key in ./data/dev-api-key).' : err.requestId ? `Request id: ${err.requestId}` : undefined;
    fail(`${err.code} (HTTP ${err.status}): ${err.message}`, ...details, ...(hint ? [hint] : []));
    if (RUN_NOT_COMPLETED.has(err.code)) return EXIT.runNotCompleted;
    return USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.api;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  if (error.cause instanceof Error) {
    // fetch's network failures: "fetch failed", the reason in `cause` (ECONNREFUSED, ENOTFOUND…).
    fail(`Could not reach the API: ${error.message} (${error.cause.message}).`, 'Is Chainport running (`npm start`) at CHAINPORT_URL?');
  } else {
    fail(`Unexpected error: ${error.stack ?? error.message}`);
  }
  return EXIT.api;
}

function fail(message: string, ...more: string[]): void {
  process.stderr.write(`${pc.red('error')} ${terminalSafe(message)}\n${more.map((line) => `${terminalSafe(line)}\n`).join('')}`);
}
