// The SSE figures of `npm run bench`: token latency, time to the first event, and fan-out of many
// clients over many running runs in one API process. Agents of the stream-* bench chains stamp each
// word with the time they produced it (`w@<epoch ms>`), so lag is measured end to end.
import { CALLERS, type TestApi } from '../test/helpers/api.js';
import { openStream, type ReceivedEvent, type SseSession } from '../test/helpers/sse-client.js';
import { percentile, round } from './stats.js';

const AUTH = { authorization: `Bearer ${CALLERS.alice}` };

/** Embedded production times of the words in a chunk. */
function stamps(chunk: string): number[] {
  return [...chunk.matchAll(/@(\d{13})/g)].map((m) => Number(m[1]));
}

/** For each word in the output events received after `since`: receive time minus production time. */
function wordLags(events: readonly ReceivedEvent[], since = 0): number[] {
  return events
    .filter((e) => e.event === 'agent.output')
    .flatMap((e) => stamps(e.data.chunk as string).filter((at) => at >= since).map((at) => e.at - at));
}

const postStream = (api: Pick<TestApi, 'url'>, chain: string) => openStream(`${api.url}/api/v1/chains/${chain}/stream`, { body: {}, headers: AUTH });

/**
 * Word latency over `runs` sequential runs of stream-tokens (40 words, 50 ms apart), one client each:
 * every word's, and each stream's first word's.
 */
export async function tokenLatency(api: Pick<TestApi, 'url'>, runs: number): Promise<{ all: number[]; first: number[] }> {
  const all: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < runs; i++) {
    const stream = await postStream(api, 'stream-tokens');
    await stream.done;
    const lags = wordLags(stream.events);
    all.push(...lags);
    if (lags.length > 0) first.push(lags[0]!);
  }
  return { all, first };
}

/** Milliseconds from sending POST /chains/chain-3/stream to receiving its run.started event. */
export async function timeToFirstEvent(api: TestApi, times: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const sent = Date.now();
    const stream = await postStream(api, 'chain-3');
    const first = await stream.waitFor((e) => e.event === 'run.started');
    out.push(first.at - sent);
    await stream.done;
  }
  return out;
}

export interface FanOut {
  runs: number;
  clients: number;
  /** Resident memory of the API process (its own process: no worker, no clients) before the clients and at its peak. */
  api_rss_before_mb: number;
  api_rss_peak_mb: number;
  /** Receive time minus production time of every word each client got live (replayed words excluded). */
  lag_p50_ms: number;
  lag_p95_ms: number;
  lag_max_ms: number;
  words_received: number;
}

/** `clients` SSE clients spread over `runs` running stream-fanout runs (about 12 s each), all served by one API process. */
export async function fanOut(api: { url: string; rssMb(): number }, runs: number, clients: number): Promise<FanOut> {
  const rssBefore = api.rssMb();
  let rssPeak = rssBefore;
  const sample = setInterval(() => (rssPeak = Math.max(rssPeak, api.rssMb())), 100);
  try {
    const runIds = await Promise.all(
      Array.from({ length: runs }, async () => {
        const res = await fetch(`${api.url}/api/v1/chains/stream-fanout/runs`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{}' });
        if (res.status !== 202) throw new Error(`fan-out start answered ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { run_id: string }).run_id;
      }),
    );
    const sessions = await Promise.all(
      Array.from({ length: clients }, async (_, i): Promise<{ session: SseSession; since: number }> => {
        const session = await openStream(`${api.url}/api/v1/runs/${runIds[i % runs]}/events`, { headers: AUTH });
        return { session, since: Date.now() };
      }),
    );
    await Promise.all(sessions.map(({ session }) => session.done));
    const lags = sessions.flatMap(({ session, since }) => wordLags(session.events, since));
    return {
      runs,
      clients,
      api_rss_before_mb: round(rssBefore, 1),
      api_rss_peak_mb: round(rssPeak, 1),
      lag_p50_ms: percentile(lags, 50),
      lag_p95_ms: percentile(lags, 95),
      lag_max_ms: percentile(lags, 100),
      words_received: lags.length,
    };
  } finally {
    clearInterval(sample);
  }
}

/** A figure with the target it is held to. */
export function under(value: number, target: number) {
  return { value: round(value), target_under: target, met: value < target };
}
