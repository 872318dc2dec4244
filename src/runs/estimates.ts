import type { Client } from '@temporalio/client';
import type { ChainVersion } from '../chains/catalog.js';
import { CHAIN_WORKFLOW, ChainNameKey, ChainVersionKey, RunStatusKey } from '../workflows/definitions.js';
import { SharedReads } from './shared-reads.js';
import { WORKFLOW_TYPE, and, equals } from './visibility-query.js';

const SAMPLE = 20;
/** How old a reading may grow before a start refreshes it (in the background). */
const REFRESH_MS = 30_000;

/**
 * How long a run of a chain version is likely to take: the median duration of its last 20 completed
 * runs (from Temporal visibility), else the chain file's `estimated_duration`, else nothing. Never
 * fails a request: visibility errors fall back to the file's hint. Only a chain version's first
 * estimate waits for visibility; after that a start answers the last reading at once and an older one
 * is refreshed behind it, one read at a time: a listing waited on by every start in flight as the
 * reading aged cost those starts hundreds of milliseconds under load.
 */
export class DurationEstimates {
  private readonly readings = new Map<string, { at: number; ms: number | undefined }>();
  private readonly reads = new SharedReads<void>();

  constructor(
    private readonly client: Client,
    private readonly namespace: string,
  ) {}

  async estimateMs(chain: ChainVersion, now = Date.now()): Promise<number | undefined> {
    const key = `${chain.name}@${chain.version}`;
    const reading = this.readings.get(key);
    if (!reading) await this.read(key, chain, now);
    else if (now - reading.at >= REFRESH_MS) void this.read(key, chain, now);
    return this.readings.get(key)?.ms ?? chain.estimatedDurationMs;
  }

  private read(key: string, chain: ChainVersion, now: number): Promise<void> {
    return this.reads.read(key, async () => {
      const ms = await this.recentMedian(chain).catch(() => undefined);
      this.readings.set(key, { at: now, ms });
    });
  }

  private async recentMedian(chain: ChainVersion): Promise<number | undefined> {
    const { executions } = await this.client.workflowService.listWorkflowExecutions({
      namespace: this.namespace,
      query: and(equals(WORKFLOW_TYPE, CHAIN_WORKFLOW), equals(ChainNameKey, chain.name), equals(ChainVersionKey, chain.version), equals(RunStatusKey, 'completed')),
      pageSize: SAMPLE,
    });
    const durations = executions
      .map((e) => toMs(e.closeTime) - toMs(e.startTime))
      .filter((d) => Number.isFinite(d) && d >= 0)
      .sort((a, b) => a - b);
    if (durations.length === 0) return undefined;
    const mid = Math.floor(durations.length / 2);
    return durations.length % 2 ? durations[mid] : (durations[mid - 1]! + durations[mid]!) / 2;
  }
}

function toMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return Number.NaN;
  return Number(ts.seconds ?? 0) * 1000 + Math.round((ts.nanos ?? 0) / 1e6);
}
