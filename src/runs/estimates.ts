import type { Client } from '@temporalio/client';
import type { ChainVersion } from '../chains/catalog.js';
import { CHAIN_WORKFLOW, ChainNameKey, ChainVersionKey, RunStatusKey } from '../workflows/definitions.js';
import { WORKFLOW_TYPE, and, equals } from './visibility-query.js';

const SAMPLE = 20;
const CACHE_MS = 30_000;

/**
 * How long a run of a chain version is likely to take: the median duration of its last 20 completed
 * runs (from Temporal visibility, cached briefly), else the chain file's `estimated_duration`, else
 * nothing. Never fails a request: visibility errors fall back to the file's hint.
 */
export class DurationEstimates {
  private readonly cache = new Map<string, { at: number; ms: number | undefined }>();

  constructor(
    private readonly client: Client,
    private readonly namespace: string,
  ) {}

  async estimateMs(chain: ChainVersion, now = Date.now()): Promise<number | undefined> {
    const key = `${chain.name}@${chain.version}`;
    const cached = this.cache.get(key);
    if (cached && now - cached.at < CACHE_MS) return cached.ms ?? chain.estimatedDurationMs;
    let median: number | undefined;
    try {
      median = await this.recentMedian(chain);
    } catch {
      median = undefined;
    }
    this.cache.set(key, { at: now, ms: median });
    return median ?? chain.estimatedDurationMs;
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
