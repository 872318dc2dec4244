// The kinds of caller the load mixes, each as a real client would behave: one Idempotency-Key per run,
// so every retry re-attaches to the run instead of starting a second one. Four run chain-3; two run
// the approval chain and answer its input step, one with the API key, one through the respond_url of
// its run.input_required webhook.
import { z } from 'zod';
import { CALLERS } from '../helpers/api.js';
import { StreamRefusedError, agentTexts, openStream, type ReceivedEvent, type SseSession } from '../helpers/sse-client.js';
import { GaveUp, RETRY_STATUSES, retryDelayMs, sleep, type LoadHttp, type Outcome, type Reply, type Route } from './http.js';
import type { AcceptedDelivery, DedupReceiver } from './receiver.js';

export const CALLER_KINDS = ['sync', 'async_poll', 'stream', 'webhook', 'input_api', 'input_link'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];
/** The callers that answer an input step, and who the run must say answered it. */
export const INPUT_CALLERS = { input_api: 'caller', input_link: 'link' } as const satisfies Partial<Record<CallerKind, string>>;

export const CHAIN = 'chain-3';
/** bench/chains/approval.yaml: writer, the input step `approval`, publisher ("Published: {{note}}"). */
export const INPUT_CHAIN = 'approval';
export const INPUT_STEP = 'approval';
const TERMINAL = new Set(['run.completed', 'run.failed', 'run.timed_out', 'run.cancelled']);
/** The input_link caller's webhook: the input request, then how the run ended. */
const LINK_EVENTS = ['input_required', 'completed', 'failed', 'timed_out', 'cancelled'];
/** What a second answer to an answered step must get. */
const SECOND_REFUSED = '409 input_already_provided';
/** A poll honours the server's Retry-After only up to this: the load measures the service, not the wait. */
const POLL_CAP_MS = 200;

const runSchema = z.object({
  run_id: z.string(),
  status: z.string(),
  output: z.unknown().optional(),
  input_request: z.object({ step: z.string() }).optional(),
  agents: z.array(z.object({ name: z.string(), status: z.string(), answered_by: z.string().optional() })).optional(),
});
const acceptedSchema = z.object({ run_id: z.string() });
const linkAcceptedSchema = z.object({ run_id: z.string(), step: z.string(), answered_by: z.string() });
const problemSchema = z.object({ code: z.string(), answered_by: z.string().optional() });

export interface RunSpec {
  index: number;
  kind: CallerKind;
  idempotencyKey: string;
  input: Record<string, unknown>;
  /** Epoch ms after which the caller gives up and the run counts as lost. */
  deadline: number;
  /** Stream callers: drop the connection once, after this many events (undefined: no deliberate drop). */
  dropAfterEvents?: number;
  /** Input callers: the answer they give (its note is unique to the run and ends up in its output). */
  answer?: { approved: true; note: string };
}

export interface RunOutcome {
  runId: string | undefined;
  /** Why this run does not count as passed; empty when it does. */
  problems: string[];
  /** From the caller's first request until it saw the run end. */
  latencyMs: number;
  stream?: { harnessDrops: number; reconnects: Record<string, number> };
  /** Set by the final check: whether GET /runs/{id} read the run back as completed. */
  completed?: boolean;
  /** What the caller is waiting on now: named in the report if that wait never ends. */
  step: string;
  input?: InputOutcome;
}

/** What an input caller saw of its answers. */
export interface InputOutcome {
  /** Requests it sent until its answer was taken (more than 1: a lost reply or a 5xx, repeated). */
  answerTries: number;
  /**
   * input_link: the reply it read was 409 input_already_provided with answered_by link, after an earlier
   * try got no reply or a 5xx: its own answer was taken then; the final check confirms it.
   */
  takenUnseen: boolean;
  /** The status and code of a second, different answer sent right after: must be 409 input_already_provided. */
  secondAnswer: string;
}

export interface CallerDeps {
  http: LoadHttp;
  receiver: DedupReceiver;
}

type Caller = (deps: CallerDeps, run: RunSpec, outcome: RunOutcome) => Promise<void>;

/**
 * Callers give up at their deadline by themselves; past it by this much, a wait that never settled
 * (no timer, no socket: a promise nobody resolves) fails the run, naming the step, instead of
 * hanging the whole load test.
 */
const HANG_GRACE_MS = 120_000;

/** Runs one run as its kind of caller; never throws: whatever went wrong is in `problems`. */
export async function runCaller(deps: CallerDeps, run: RunSpec): Promise<RunOutcome> {
  const outcome: RunOutcome = { runId: undefined, problems: [], latencyMs: 0, step: 'start' };
  const t0 = performance.now();
  let watchdog: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    watchdog = setTimeout(() => reject(new GaveUp(`caller hung ${HANG_GRACE_MS / 1000} s past its deadline, waiting on: ${outcome.step}`)), run.deadline + HANG_GRACE_MS - Date.now());
  });
  try {
    await Promise.race([CALLER_BY_KIND[run.kind](deps, run, outcome), hung]);
  } catch (err) {
    outcome.problems.push(err instanceof GaveUp ? err.message : `caller failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(watchdog);
  }
  outcome.latencyMs = performance.now() - t0;
  return outcome;
}

const CALLER_BY_KIND: Record<CallerKind, Caller> = {
  /** POST /chains/chain-3 and wait; 503, 504 wait_timeout and dropped connections repeat the same request. */
  async sync({ http }, run, outcome) {
    outcome.step = 'POST sync';
    const reply = await http.retrying('POST /api/v1/chains/{chain}', `/api/v1/chains/${CHAIN}`, { body: { input: run.input, timeout_s: 60 }, headers: keyed(run) }, run.deadline);
    const body = expect(reply, 200, 'sync run', runSchema);
    outcome.runId = body.run_id;
    if (body.status !== 'completed') outcome.problems.push(`sync run ended ${body.status}`);
  },

  /** POST …/runs, then poll GET /runs/{id} at the server's Retry-After, capped low. */
  async async_poll({ http }, run, outcome) {
    outcome.step = 'POST start';
    const runId = await startAsync(http, run, { input: run.input });
    outcome.runId = runId;
    outcome.step = 'polls';
    await pollUntilEnded(http, runId, run.deadline);
  },

  /**
   * POST …/stream; whenever the connection drops (the harness's own deliberate drops included) or the
   * server closes the stream before the run ended, attach again with GET /runs/{id}/events and
   * Last-Event-ID. The re-assembled output of the last agent must equal the run's final output.
   */
  async stream({ http }, run, outcome) {
    const events: ReceivedEvent[] = [];
    const stream = { harnessDrops: 0, reconnects: {} as Record<string, number> };
    outcome.stream = stream;
    let seen = 0;
    for (;;) {
      if (Date.now() > run.deadline) throw new GaveUp(`stream never reached the run's end (${events.length} events)`);
      const runId = runIdOf(events);
      const route: Route = runId ? 'GET /api/v1/runs/{run_id}/events' : 'POST /api/v1/chains/{chain}/stream';
      const t0 = performance.now();
      const dropsBefore = stream.harnessDrops;
      let session: SseSession;
      outcome.step = `${route}: opening`;
      try {
        session = await openStream(`${http.api.url}${runId ? `/api/v1/runs/${runId}/events` : `/api/v1/chains/${CHAIN}/stream`}`, {
          method: runId ? 'GET' : 'POST',
          ...(runId === undefined && { body: { input: run.input } }),
          headers: { authorization: `Bearer ${CALLERS.alice}`, ...keyed(run) },
          ...(events.length > 0 && { lastEventId: events.at(-1)!.id }),
          openTimeoutMs: 60_000,
          onEvent(event, abort) {
            seen++;
            outcome.step = `${route}: reading, last event ${event.id} ${event.event}`;
            if (stream.harnessDrops === 0 && seen === run.dropAfterEvents && !TERMINAL.has(event.event ?? '')) {
              stream.harnessDrops++;
              abort();
            }
          },
        });
      } catch (err) {
        const status: Outcome = err instanceof StreamRefusedError ? err.status : 'network';
        http.recorder.request(route, performance.now() - t0, status);
        if (status !== 'network' && !RETRY_STATUSES.has(status)) throw new Error(`${route} answered ${status}: ${(err as Error).message.slice(0, 300)}`, { cause: err });
        http.recorder.retry(route, status);
        await sleep(retryDelayMs(undefined, 1_000));
        continue;
      }
      http.recorder.streamOpenMs.push(performance.now() - t0);
      outcome.step = `${route}: reading, no event yet`;
      // A stream that never ends must not hold the caller past its deadline.
      const watchdog = setTimeout(() => session.abort(), Math.max(0, run.deadline - Date.now()));
      const ended = await session.done.then(
        () => 'closed by the server',
        () => 'network',
      );
      clearTimeout(watchdog);
      http.recorder.request(route, performance.now() - t0, 200);
      events.push(...session.events);
      if (TERMINAL.has(events.at(-1)?.event ?? '')) break;
      const reason = stream.harnessDrops > dropsBefore ? 'harness drop' : ended;
      stream.reconnects[reason] = (stream.reconnects[reason] ?? 0) + 1;
    }
    const runId = runIdOf(events);
    outcome.runId = runId;
    if (!runId) throw new Error('the stream ended without run.started');
    outcome.step = 'polls after the stream';
    const final = await pollUntilEnded(http, runId, run.deadline);
    const terminal = events.at(-1)!;
    const agentsTotal = Number(events[0]?.data.agents_total);
    const texts = agentTexts(events);
    const assembled = texts.get(agentsTotal - 1);
    if (terminal.event !== 'run.completed') outcome.problems.push(`stream ended with ${terminal.event}`);
    for (let index = 0; index < agentsTotal; index++) if (!texts.get(index)) outcome.problems.push(`the stream carried no output of agent ${index}`);
    if (assembled !== final.output) outcome.problems.push(`stream re-assembled ${JSON.stringify(assembled)} but the run's output is ${JSON.stringify(final.output)}`);
    if (terminal.data.output !== final.output) outcome.problems.push("run.completed's output differs from the run's output");
  },

  /**
   * POST /chains/approval/runs, poll until the run waits at its input step, answer it with POST
   * /runs/{id}/input (an Idempotency-Key of its own, so a repeat after a lost reply is the same
   * answer), send a second, different answer that must be refused, then poll until the run ends.
   */
  async input_api({ http }, run, outcome) {
    outcome.step = 'POST start';
    const runId = await startAsync(http, run, { input: run.input }, INPUT_CHAIN);
    outcome.runId = runId;
    outcome.step = 'polls until waiting_for_input';
    const waiting = await pollUntil(http, runId, run.deadline, (r) => r.status !== 'running');
    if (waiting.status !== 'waiting_for_input' || waiting.input_request?.step !== INPUT_STEP) {
      throw new Error(`the run was ${waiting.status} (input_request ${JSON.stringify(waiting.input_request)}), not waiting for input at ${INPUT_STEP}`);
    }
    outcome.step = 'POST input';
    const answer = await http.retrying('POST /api/v1/runs/{run_id}/input', `/api/v1/runs/${runId}/input`, { body: { step: INPUT_STEP, value: run.answer }, headers: { 'idempotency-key': `${run.idempotencyKey}-answer` } }, run.deadline);
    const taken = expect(answer, 200, 'the answer', runSchema);
    const answeredBy = taken.agents?.find((a) => a.name === INPUT_STEP)?.answered_by;
    if (answeredBy !== 'caller') outcome.problems.push(`the answer's 200 shows the step answered_by ${answeredBy}, not caller`);
    outcome.step = 'POST a second answer';
    const second = await http.retrying('POST /api/v1/runs/{run_id}/input', `/api/v1/runs/${runId}/input`, { body: { step: INPUT_STEP, value: { approved: false, note: 'a second answer' } }, headers: { 'idempotency-key': `${run.idempotencyKey}-second` } }, run.deadline);
    outcome.input = { answerTries: answer.tries, takenUnseen: false, secondAnswer: statusAndCode(second) };
    if (outcome.input.secondAnswer !== SECOND_REFUSED) outcome.problems.push(`a second answer got ${outcome.input.secondAnswer}, not ${SECOND_REFUSED}`);
    outcome.step = 'polls after the answer';
    const final = await pollUntilEnded(http, runId, run.deadline);
    if (final.status !== 'completed') outcome.problems.push(`the run ended ${final.status}`);
  },

  /**
   * POST /chains/approval/runs with a webhook for input_required and the run's end; answer with the
   * respond_url of the run.input_required delivery (no API key), use the link a second time (must be
   * refused), then wait for the delivery of the run's end.
   */
  async input_link({ http, receiver }, run, outcome) {
    outcome.step = 'POST start with an input_required webhook';
    const runId = await startAsync(http, run, { input: run.input, webhook: { url: receiver.url, secret: receiver.secret, events: LINK_EVENTS } }, INPUT_CHAIN);
    outcome.runId = runId;
    outcome.step = 'the run.input_required delivery';
    const request = await delivery(receiver, runId, run.deadline, (d) => d.event === 'run.input_required' || d.event.startsWith('chain.'));
    if (request.event !== 'run.input_required') throw new Error(`the run's first delivery was ${request.event}, not run.input_required`);
    if (request.step !== INPUT_STEP || !request.respondUrl) throw new Error(`the run.input_required delivery names step ${request.step} and respond_url ${request.respondUrl}`);
    // The workers build the link from CHAINPORT_PUBLIC_URL, which the stack sets to the API's address.
    if (!request.respondUrl.startsWith(`${http.api.url}/api/v1/input/`)) outcome.problems.push(`the respond_url ${request.respondUrl} is not under the public URL ${http.api.url}`);
    outcome.step = 'POST respond_url';
    const answer = await http.retrying('POST /api/v1/input/{token}', request.respondUrl, { body: { value: run.answer } }, run.deadline);
    // A 409 after a try without a reply says whose answer won: `link` is this one (nobody else holds the link).
    const takenUnseen = answer.tries > 1 && answer.status === 409 && problemCode(answer) === 'input_already_provided' && problemSchema.safeParse(answer.body).data?.answered_by === 'link';
    if (!takenUnseen) {
      const taken = expect(answer, 200, 'the answer by link', linkAcceptedSchema);
      if (taken.run_id !== runId || taken.step !== INPUT_STEP || taken.answered_by !== 'link') outcome.problems.push(`the link's 200 says ${JSON.stringify(taken)}`);
    }
    outcome.step = 'POST respond_url again';
    const second = await http.retrying('POST /api/v1/input/{token}', request.respondUrl, { body: { value: { approved: false, note: 'a second answer' } } }, run.deadline);
    outcome.input = { answerTries: answer.tries, takenUnseen, secondAnswer: statusAndCode(second) };
    if (outcome.input.secondAnswer !== SECOND_REFUSED) outcome.problems.push(`the link's second use got ${outcome.input.secondAnswer}, not ${SECOND_REFUSED}`);
    outcome.step = "the delivery of the run's end";
    const end = await delivery(receiver, runId, run.deadline, (d) => d.event.startsWith('chain.'));
    if (end.event !== 'chain.completed') outcome.problems.push(`the run's end was delivered as ${end.event}`);
  },

  /** POST …/runs with a webhook; done when the receiver has accepted a delivery for the run. */
  async webhook({ http, receiver }, run, outcome) {
    outcome.step = 'POST start with a webhook';
    const runId = await startAsync(http, run, { input: run.input, webhook: { url: receiver.url, secret: receiver.secret } });
    outcome.runId = runId;
    outcome.step = 'the delivery';
    try {
      await receiver.delivered(runId, Math.max(0, run.deadline - Date.now()));
    } catch (err) {
      throw new GaveUp((err as Error).message, { cause: err });
    }
  },
};

const keyed = (run: RunSpec) => ({ 'idempotency-key': run.idempotencyKey });

async function startAsync(http: LoadHttp, run: RunSpec, body: Record<string, unknown>, chain = CHAIN): Promise<string> {
  const reply = await http.retrying('POST /api/v1/chains/{chain}/runs', `/api/v1/chains/${chain}/runs`, { body, headers: keyed(run) }, run.deadline);
  return expect(reply, 202, 'async start', acceptedSchema).run_id;
}

type PolledRun = z.infer<typeof runSchema>;

/** Polls until `done` says so; returns the run as that poll read it. */
async function pollUntil(http: LoadHttp, runId: string, deadline: number, done: (run: PolledRun) => boolean): Promise<PolledRun> {
  for (;;) {
    const reply = await http.retrying('GET /api/v1/runs/{run_id}', `/api/v1/runs/${runId}`, {}, deadline);
    const run = expect(reply, 200, 'poll', runSchema);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new GaveUp(`run ${runId} still ${run.status} at its deadline`);
    await sleep(retryDelayMs(reply.headers, POLL_CAP_MS));
  }
}

/** Polls until the run has ended (neither running nor waiting for input); returns the ended run. */
export function pollUntilEnded(http: LoadHttp, runId: string, deadline: number): Promise<PolledRun> {
  return pollUntil(http, runId, deadline, (run) => run.status !== 'running' && run.status !== 'waiting_for_input');
}

/** The receiver's first delivery for the run that `matches` picks; a caller that waits past its deadline gives up. */
async function delivery(receiver: DedupReceiver, runId: string, deadline: number, matches: (delivery: AcceptedDelivery) => boolean): Promise<AcceptedDelivery> {
  try {
    return await receiver.delivered(runId, Math.max(0, deadline - Date.now()), matches);
  } catch (err) {
    throw new GaveUp((err as Error).message, { cause: err });
  }
}

function problemCode(reply: Reply): string | undefined {
  return problemSchema.safeParse(reply.body).data?.code;
}

function statusAndCode(reply: Reply): string {
  const code = problemCode(reply);
  return code === undefined ? String(reply.status) : `${reply.status} ${code}`;
}

function runIdOf(events: readonly ReceivedEvent[]): string | undefined {
  const started = events.find((e) => e.event === 'run.started');
  return typeof started?.data.run_id === 'string' ? started.data.run_id : undefined;
}

function expect<T>(reply: Reply, status: number, what: string, schema: z.ZodType<T>): T {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`);
  return schema.parse(reply.body);
}
