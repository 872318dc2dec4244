// The load test's figures: one JSON file per run under bench/results/ (load-<timestamp>.json, not
// committed) and a short markdown summary beside it.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, round } from '../../bench/stats.js';
import { CALLER_KINDS, INPUT_CALLERS } from './callers.js';
import type { AppliedFault } from './faults.js';
import type { Recorder } from './http.js';
import type { ReceiverStats } from './receiver.js';
import type { GlobalCheck, RunRecord } from './verify.js';

const RESULTS_DIR = path.resolve(import.meta.dirname, '../../bench/results');
const MAX_LISTED_FAILURES = 50;

export interface ReportInput {
  args: Record<string, unknown>;
  seed: number;
  records: RunRecord[];
  recorder: Recorder;
  loadMs: number;
  verifyMs: number;
  faults: { scheduled: number; applied: AppliedFault[] };
  receiver: ReceiverStats;
  checks: GlobalCheck[];
  apiErrors: Map<string, number>;
  apiMetrics: string;
  workerMetrics: string[];
}

const spread = (values: number[]) => ({ p50_ms: percentile(values, 50), p95_ms: percentile(values, 95), p99_ms: percentile(values, 99), max_ms: round(values.reduce((a, b) => Math.max(a, b), 0)) });

export function buildReport(input: ReportInput) {
  const { records, recorder } = input;
  const failedRuns = records.filter((r) => r.outcome.problems.length > 0);
  const failedChecks = input.checks.filter((c) => !c.ok);
  const byKind = Object.fromEntries(
    CALLER_KINDS.map((kind) => {
      const ofKind = records.filter((r) => r.spec.kind === kind);
      return [kind, { runs: ofKind.length, failed: ofKind.filter((r) => r.outcome.problems.length > 0).length, ...spread(ofKind.map((r) => r.outcome.latencyMs)) }];
    }),
  );
  const streams = records.filter((r) => r.outcome.stream);
  const reconnects: Record<string, number> = {};
  for (const r of streams) for (const [reason, n] of Object.entries(r.outcome.stream!.reconnects)) reconnects[reason] = (reconnects[reason] ?? 0) + n;
  const lost = (kind: string) => failedRuns.filter((r) => r.spec.kind === kind && r.outcome.completed).length;
  const inputRuns = records.filter((r) => r.spec.kind in INPUT_CALLERS);
  const answered = inputRuns.flatMap((r) => (r.outcome.input ? [r.outcome.input] : []));

  return {
    kind: 'chainport-load',
    at: new Date().toISOString(),
    args: input.args,
    seed: input.seed,
    machine: { cpus: os.cpus().length, node: process.version },
    runs: records.length,
    load_duration_s: round(input.loadMs / 1000, 1),
    throughput_runs_per_s: round(records.length / (input.loadMs / 1000)),
    verify_duration_s: round(input.verifyMs / 1000, 1),
    callers: byKind,
    routes: Object.fromEntries(
      [...recorder.latencies].map(([route, values]) => [route, { requests: values.length, ...spread(values), outcomes: Object.fromEntries(recorder.outcomes.get(route) ?? []) }]),
    ),
    stream_open: spread(recorder.streamOpenMs),
    retried: Object.fromEntries([...recorder.retried].sort(([a], [b]) => a.localeCompare(b))),
    streams: { runs: streams.length, harness_drops: streams.reduce((n, r) => n + r.outcome.stream!.harnessDrops, 0), reconnects },
    webhooks: input.receiver,
    /** The approval runs: answered by the API key or the respond_url, each followed by a second answer that must be refused. */
    input_steps: {
      runs: inputRuns.length,
      by_kind: Object.fromEntries(Object.keys(INPUT_CALLERS).map((kind) => [kind, inputRuns.filter((r) => r.spec.kind === kind).length])),
      answers_sent_more_than_once: answered.filter((a) => a.answerTries > 1).length,
      link_answers_taken_unseen: answered.filter((a) => a.takenUnseen).length,
      second_answers: countBy(answered.map((a) => a.secondAnswer)),
    },
    faults: input.faults,
    api_errors_logged: Object.fromEntries([...input.apiErrors].sort(([, a], [, b]) => b - a).slice(0, 20)),
    metrics: metricsFigures(input.apiMetrics, input.workerMetrics),
    loss: {
      runs_not_completed: failedRuns.filter((r) => !r.outcome.completed).length,
      webhook_deliveries_lost_or_doubled: lost('webhook'),
      streams_not_reassembled: lost('stream'),
      input_runs_not_as_answered: lost('input_api') + lost('input_link'),
      other_failures: lost('sync') + lost('async_poll'),
    },
    checks: input.checks,
    failures: failedRuns.slice(0, MAX_LISTED_FAILURES).map((r) => ({ index: r.spec.index, kind: r.spec.kind, run_id: r.outcome.runId ?? null, problems: r.outcome.problems })),
    passed: records.length - failedRuns.length + input.checks.length - failedChecks.length,
    failed: failedRuns.length + failedChecks.length,
  };
}

export type LoadReport = ReturnType<typeof buildReport>;

/** Writes load-<timestamp>.json and .md under bench/results; returns their paths. */
export function writeReport(report: LoadReport): { json: string; markdown: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stem = path.join(RESULTS_DIR, `load-${report.at.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${stem}.md`, markdown(report));
  return { json: `${stem}.json`, markdown: `${stem}.md` };
}

function markdown(r: LoadReport): string {
  const ms = (x: { p50_ms: number; p95_ms: number; p99_ms: number }) => `${x.p50_ms} / ${x.p95_ms} / ${x.p99_ms}`;
  const lines = [
    `# Load test ${r.at}`,
    '',
    `${r.runs} runs of chain-3 and of approval (an input step) (${JSON.stringify(r.args)}, seed ${r.seed}) on ${r.machine.cpus} CPUs, Node ${r.machine.node}:`,
    `**${r.failed === 0 ? 'nothing lost' : `${r.failed} FAILED`}** — ${r.passed} passed, ${r.failed} failed.`,
    '',
    `- Load: ${r.load_duration_s} s, ${r.throughput_runs_per_s} runs/s; checks afterwards ${r.verify_duration_s} s.`,
    `- Loss: ${r.loss.runs_not_completed} runs not completed, ${r.loss.webhook_deliveries_lost_or_doubled} webhook deliveries lost or doubled, ${r.loss.streams_not_reassembled} streams not re-assembled, ${r.loss.input_runs_not_as_answered} input runs not as answered, ${r.loss.other_failures} other.`,
    `- Faults (${r.faults.applied.length} of ${r.faults.scheduled} scheduled): ${r.faults.applied.map((f) => `${f.fault} at ${f.at_s} s (to ${f.done_s} s)`).join('; ') || 'none'}.`,
    `- Streams: ${r.streams.runs}, ${r.streams.harness_drops} dropped on purpose; reconnects ${JSON.stringify(r.streams.reconnects)}.`,
    `- Webhooks: ${r.webhooks.accepted_unique} unique deliveries, ${r.webhooks.duplicates} duplicates (de-duplicated), ${r.webhooks.refused_during_outage} refused during the outage, ${r.webhooks.bad_signatures} bad signatures.`,
    `- Input steps: ${r.input_steps.runs} runs ${JSON.stringify(r.input_steps.by_kind)}; ${r.input_steps.answers_sent_more_than_once} answers sent more than once, ${r.input_steps.link_answers_taken_unseen} link answers taken unseen; second answers ${JSON.stringify(r.input_steps.second_answers)}.`,
    `- Retried requests: ${JSON.stringify(r.retried)}.`,
    `- Metrics: ${JSON.stringify(r.metrics.api)}; workers ${JSON.stringify({ runs_ended_total: r.metrics.workers.runs_ended_total, webhook_attempts_total: r.metrics.workers.webhook_attempts_total })}.`,
    '',
    '| caller | runs | failed | p50 / p95 / p99 ms |',
    '|---|---|---|---|',
    ...Object.entries(r.callers).map(([kind, c]) => `| ${kind} | ${c.runs} | ${c.failed} | ${ms(c)} |`),
    '',
    '| route | requests | p50 / p95 / p99 ms | answers |',
    '|---|---|---|---|',
    ...Object.entries(r.routes).map(([route, x]) => `| \`${route}\` | ${x.requests} | ${ms(x)} | ${JSON.stringify(x.outcomes)} |`),
    '',
    ...r.checks.map((c) => `- ${c.ok ? 'ok' : 'FAILED'}: ${c.name} (${c.detail})`),
    ...r.failures.slice(0, 10).map((f) => `- run ${f.index} (${f.kind}, ${f.run_id}): ${f.problems.join('; ')}`),
    '',
  ];
  return lines.join('\n');
}

/** The service's own counters: runs started (API), runs ended and webhook attempts (workers). */
function metricsFigures(apiText: string, workerTexts: string[]) {
  const workerSamples = workerTexts.flatMap(parsePrometheus);
  const apiSamples = parsePrometheus(apiText);
  return {
    api: {
      runs_started_total: sumBy(apiSamples, 'chainport_runs_started_total', 'chain'),
      http_requests_total_by_status: sumBy(apiSamples, 'chainport_http_requests_total', 'status'),
      rate_limit_rejections_total: sumBy(apiSamples, 'chainport_rate_limit_rejections_total', 'limit'),
    },
    workers: {
      scrapes: workerTexts.length,
      runs_ended_total: sumBy(workerSamples, 'chainport_runs_ended_total', 'status'),
      webhook_attempts_total: sumBy(workerSamples, 'chainport_webhook_attempts_total', 'outcome'),
      note:
        'summed over the live workers at the end and each SIGKILLed worker as scraped just before its kill (what it counted after that scrape is lost with it). ' +
        'runs_ended_total is at least once: it is counted by a local activity, which runs again when a run\'s last workflow task is retried after a fault, so it may exceed the runs.',
    },
  };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition: one sample per non-comment line. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function sumBy(samples: Sample[], name: string, label: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const s of samples) if (s.name === name) sums[s.labels[label] ?? ''] = (sums[s.labels[label] ?? ''] ?? 0) + s.value;
  return sums;
}
