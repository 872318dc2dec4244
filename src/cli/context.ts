// What every command shares: where the API is and which key to send, the client built from them,
// how results are printed (human or one JSON object per line) and the exit codes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Chainport } from '../client/index.js';
import { ensureError } from '../errors.js';

/** The CLI's exit codes (README "CLI"). */
export const EXIT = {
  ok: 0,
  /** The run did not complete: failed, timed out, cancelled, or still running when the wait ended; a rerun batch could not re-run some run. */
  runNotCompleted: 1,
  /** The command line is wrong: unknown option, unreadable `--input`, input the chain rejects. */
  usage: 2,
  /** The API refused the request, the key is wrong or missing, or the API could not be reached. */
  api: 3,
  /** The run waits for input and nobody was there to answer (no terminal, or --json): answer with `chainport runs input`. */
  waitingForInput: 4,
  /** Ctrl-C: the CLI detached from a run (or rerun batch) that goes on. */
  interrupted: 130,
} as const;

export const ENV = { url: 'CHAINPORT_URL', apiKey: 'CHAINPORT_API_KEY', dataDir: 'CHAINPORT_DATA_DIR', webhookSecret: 'CHAINPORT_WEBHOOK_SECRET' } as const;
const DEFAULT_URL = 'http://127.0.0.1:3000';

/** A mistake in the command line: printed with the command's usage hint, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure that is not the API's answer, such as a missing key: printed as is, exit 3. */
export class SetupError extends Error {
  override name = 'SetupError';
}

export interface GlobalOptions {
  json?: boolean;
}

export interface Settings {
  baseUrl: string;
  apiKey: string;
}

/**
 * The API address and key: `CHAINPORT_URL` (default http://127.0.0.1:3000) and `CHAINPORT_API_KEY`,
 * else the development key `npm start` stored in `$CHAINPORT_DATA_DIR/dev-api-key` (default ./data).
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const baseUrl = env[ENV.url] || DEFAULT_URL;
  const fromEnv = env[ENV.apiKey]?.trim();
  if (fromEnv) return { baseUrl, apiKey: fromEnv };
  const keyFile = path.resolve(env[ENV.dataDir] || './data', 'dev-api-key');
  if (existsSync(keyFile)) {
    const key = readFileSync(keyFile, 'utf8').trim();
    if (key) return { baseUrl, apiKey: key };
  }
  throw new SetupError(`No API key: set ${ENV.apiKey}, or run \`npm start\` in this directory once so it stores a development key in ${keyFile}.`);
}

export function createClient(settings: Settings = loadSettings()): Chainport {
  return new Chainport(settings);
}

/** Prints one JSON object as one line of stdout: the `--json` format. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A line for a person on stderr (hints, progress), so stdout stays the result. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** `--input '{...}'` or `--input @file.json`: a JSON object, or a UsageError saying what is wrong. */
export function parseInput(value: string | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  let text = value;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--input ${value}: cannot read ${file} (${ensureError(err).message}).`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--input is not JSON: ${ensureError(err).message}. Give an object, e.g. --input '{"topic":"x"}', or --input @file.json.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--input must be a JSON object, e.g. {"topic":"x"}.');
  return parsed as Record<string, unknown>;
}

/** An option's parser for any JSON value (an input step's answer), throwing a UsageError. */
export function parseJson(name: string) {
  return (value: string): unknown => {
    try {
      return JSON.parse(value);
    } catch (err) {
      throw new UsageError(`${name} is not JSON: ${ensureError(err).message}. E.g. ${name} '{"approved":true}'.`);
    }
  };
}

/** An option's parser for a whole number of 1 or more (seconds, a page size), throwing a UsageError. */
export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} takes a whole number of 1 or more, not "${value}".`);
    return n;
  };
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatCost(cost: number): string {
  return `$${cost.toFixed(4)}`;
}
