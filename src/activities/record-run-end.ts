import { runsEnded } from '../metrics.js';
import type { RunStatus } from '../workflows/types.js';

/** Counts a run's end in this worker's metrics; a local activity, because metrics are a side effect the workflow may not have. */
export async function recordRunEnd(end: { chain: string; status: RunStatus }): Promise<void> {
  runsEnded.inc({ chain: end.chain, status: end.status });
}
