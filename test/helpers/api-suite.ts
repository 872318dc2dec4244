import assert from 'node:assert/strict';
import type { z } from 'zod';
import type { chainListSchema, chainSchema, problemSchema, runAcceptedSchema, runListSchema, runSchema } from '../../src/api/schemas.js';
import type { TestApi } from './api.js';
import { eventually } from './runs.js';

export type Run = z.infer<typeof runSchema>;
export type RunAccepted = z.infer<typeof runAcceptedSchema>;
export type RunList = z.infer<typeof runListSchema>;
export type Chain = z.infer<typeof chainSchema>;
export type ChainList = z.infer<typeof chainListSchema>;
export type Problem = z.infer<typeof problemSchema>;

/** Reads a JSON body, failing with the body text when the status is not the expected one. */
export async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.headers.get('x-request-id'), 'every response carries X-Request-Id');
  return JSON.parse(text) as T;
}

const STACK_FRAME = /\n\s+at |\.ts:\d+|\.js:\d+|node:internal/;

/**
 * Asserts an RFC 9457 problem response: the status, application/problem+json, every required member,
 * the code, no stack trace, and a request_id equal to the X-Request-Id header. Returns the body.
 */
export async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  assert.equal(res.status, status, `expected HTTP ${status} ${code}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = JSON.parse(text) as Problem;
  assert.equal(body.code, code, `expected code ${code}: ${text}`);
  assert.equal(body.status, status);
  for (const member of ['type', 'title', 'detail', 'request_id'] as const) {
    assert.equal(typeof body[member], 'string', `problem member ${member}`);
    assert.ok(body[member].length > 0, `problem member ${member} is not empty`);
  }
  assert.equal(res.headers.get('x-request-id'), body.request_id, 'X-Request-Id equals request_id');
  assert.doesNotMatch(text, STACK_FRAME, 'no stack trace or source location leaks');
  return body;
}

/** The pinned fields every run response carries. */
export function assertRunFields(run: Pick<Run, 'run_id' | 'chain' | 'chain_version' | 'status' | 'cost' | 'duration_ms'>): void {
  assert.match(run.run_id, /^run-[a-z0-9]+$/);
  assert.equal(typeof run.chain, 'string');
  assert.ok(Number.isInteger(run.chain_version) && run.chain_version >= 1, 'chain_version');
  assert.ok(['running', 'waiting_for_input', 'completed', 'failed', 'cancelled', 'timed_out'].includes(run.status), `status ${run.status}`);
  assert.ok(typeof run.cost === 'number' && run.cost >= 0, 'cost');
  assert.ok(Number.isInteger(run.duration_ms) && run.duration_ms >= 0, 'duration_ms');
}

export function assertIsoTime(value: unknown, label: string): number {
  assert.equal(typeof value, 'string', label);
  const ms = Date.parse(value as string);
  assert.ok(Number.isFinite(ms), `${label} is a timestamp: ${String(value)}`);
  assert.equal(new Date(ms).toISOString(), value, `${label} is ISO 8601 UTC`);
  return ms;
}

/** Starts a run on the async route and returns the 202 body. */
export async function startAsync(api: TestApi, chain: string, body: Record<string, unknown> = {}, key?: string): Promise<RunAccepted> {
  return json<RunAccepted>(await api.request(`/api/v1/chains/${chain}/runs`, { body, ...(key !== undefined && { key }) }), 202);
}

export async function getRun(api: TestApi, runId: string, key?: string): Promise<Run> {
  return json<Run>(await api.request(`/api/v1/runs/${runId}`, key === undefined ? {} : { key }), 200);
}

/** Polls GET /runs/{id} until `done` holds; returns that run. */
export async function pollRun(api: TestApi, runId: string, done: (run: Run) => boolean, timeoutMs = 20_000, key?: string): Promise<Run> {
  return eventually(
    async () => {
      const run = await getRun(api, runId, key);
      return done(run) ? run : undefined;
    },
    timeoutMs,
    `run ${runId}`,
  );
}

export const ended = (run: Run) => run.status !== 'running';
