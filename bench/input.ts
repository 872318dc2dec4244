// The input-step figure of `npm run bench`: how soon a run goes on after its caller's answer, as the
// caller sees it. Each run of bench/chains/approval.yaml (writer, the input step `approval`,
// publisher) is started with POST /chains/approval/stream; when the stream says run.waiting the caller
// answers with POST /runs/{id}/input, and the figure is the time from sending that POST to receiving
// the publisher's agent.started on the same stream. The baseline comes from the same runs: the time
// from sending the start POST to the writer's agent.started (the service starting a run's first agent,
// beside it going on with the agent after an answer). Measured at the load's concurrency, each run
// answered as soon as it waits, and one run at a time.
import { openStream, type ReceivedEvent, type SseSession } from '../test/helpers/sse-client.js';
import type { Service } from './service.js';
import { percentile, round, runPool, versus } from './stats.js';

export const INPUT_CHAIN = 'approval';
const STEP = 'approval';
/** 0-based positions of the first agent and of the agent after the input step in bench/chains/approval.yaml. */
const FIRST_AGENT = 0;
const NEXT_AGENT = 2;
/** The figure's target: the agent after the step starts within 1 s of the answer, p95, under load. */
const TARGET_P95_MS = 1000;
const WARM_UP_RUNS = 5;
const ENDS = new Set(['run.completed', 'run.failed', 'run.timed_out', 'run.cancelled']);
const WAIT_MS = 60_000;

export interface InputOptions {
  /** Runs at `concurrency`. */
  runs: number;
  concurrency: number;
  /** Runs one at a time. */
  sequential: number;
}

interface Sample {
  /** Sending POST /runs/{id}/input to receiving the next agent's agent.started. */
  answerToNextAgentMs: number;
  /** Sending POST /runs/{id}/input to its 200. */
  answerPostMs: number;
  /** Sending POST /chains/approval/stream to receiving the first agent's agent.started. */
  startToFirstAgentMs: number;
}

const agentStarted = (index: number) => (e: ReceivedEvent) => e.event === 'agent.started' && e.data.index === index;

/** One approval run, answered the moment its stream says it waits. */
async function answeredRun(service: Pick<Service, 'url' | 'key'>, n: number): Promise<Sample> {
  const auth = { authorization: `Bearer ${service.key}` };
  const sent = Date.now();
  const stream: SseSession = await openStream(`${service.url}/api/v1/chains/${INPUT_CHAIN}/stream`, { body: { input: { topic: `bench ${n}` } }, headers: auth, openTimeoutMs: WAIT_MS });
  try {
    const first = await stream.waitFor(agentStarted(FIRST_AGENT), WAIT_MS);
    const waiting = await stream.waitFor((e) => e.event === 'run.waiting' || ENDS.has(e.event ?? ''), WAIT_MS);
    if (waiting.event !== 'run.waiting') throw new Error(`the run ended ${waiting.event} instead of waiting for input`);
    const runId = String(stream.events.find((e) => e.event === 'run.started')?.data.run_id);
    const note = `bench answer ${n}`;
    const answerSent = Date.now();
    const res = await fetch(`${service.url}/api/v1/runs/${runId}/input`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ step: STEP, value: { approved: true, note } }),
    });
    const answerPostMs = Date.now() - answerSent;
    if (res.status !== 200) throw new Error(`the answer got ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    const next = await stream.waitFor(agentStarted(NEXT_AGENT), WAIT_MS);
    await stream.done;
    const end = stream.events.at(-1);
    if (end?.event !== 'run.completed' || end.data.output !== `Published: ${note}`) throw new Error(`the run ended ${end?.event} with ${JSON.stringify(end?.data)}`);
    return { answerToNextAgentMs: next.at - answerSent, answerPostMs, startToFirstAgentMs: first.at - sent };
  } finally {
    stream.abort();
  }
}

function figures(samples: Sample[]) {
  const of = (key: keyof Sample) => samples.map((s) => s[key]);
  return {
    answer_to_next_agent_p50_ms: percentile(of('answerToNextAgentMs'), 50),
    answer_to_next_agent_p95_ms: percentile(of('answerToNextAgentMs'), 95),
    answer_post_p50_ms: percentile(of('answerPostMs'), 50),
    answer_post_p95_ms: percentile(of('answerPostMs'), 95),
    start_to_first_agent_p50_ms: percentile(of('startToFirstAgentMs'), 50),
    start_to_first_agent_p95_ms: percentile(of('startToFirstAgentMs'), 95),
  };
}

/** The input-step figures on a running service (the bench starts it as `npm start` runs it). */
export async function measureInput(service: Pick<Service, 'url' | 'key'>, options: InputOptions) {
  let n = 0;
  for (let i = 0; i < WARM_UP_RUNS; i++) await answeredRun(service, n++);
  const sequential: Sample[] = [];
  for (let i = 0; i < options.sequential; i++) sequential.push(await answeredRun(service, n++));
  const loaded: Sample[] = [];
  const { wallMs } = await runPool(options.runs, options.concurrency, async () => {
    loaded.push(await answeredRun(service, n++));
  });
  const load = figures(loaded);
  const alone = figures(sequential);
  return {
    chain: INPUT_CHAIN,
    measured:
      'From sending POST /api/v1/runs/{id}/input to receiving the agent.started of the agent after the step on the run\'s SSE stream (what a client sees). ' +
      'Baseline, from the same runs: from sending POST /api/v1/chains/approval/stream to receiving the first agent\'s agent.started.',
    load: { runs: options.runs, concurrency: options.concurrency, runs_per_s: round(options.runs / (wallMs / 1000)), ...load },
    sequential: { runs: options.sequential, ...alone },
    answer_to_next_agent_p50_ms: versus(load.answer_to_next_agent_p50_ms, load.start_to_first_agent_p50_ms),
    answer_to_next_agent_p95_ms: { ...versus(load.answer_to_next_agent_p95_ms, load.start_to_first_agent_p95_ms), target_under: TARGET_P95_MS, met: load.answer_to_next_agent_p95_ms < TARGET_P95_MS },
    under_load_vs_sequential_p50_ms: versus(load.answer_to_next_agent_p50_ms, alone.answer_to_next_agent_p50_ms),
  };
}
