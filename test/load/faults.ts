// The fault schedule: each cycle restarts the Temporal server, takes the webhook receiver down for a
// while and SIGKILLs a worker, each at a fixed point of the load's progress. A soak repeats the cycle.
// (Random SSE drops are the stream callers' own doing: see RunSpec.dropAfterEvents.)
import { sleep } from './http.js';

export type FaultName = 'temporal_restart' | 'receiver_outage' | 'worker_sigkill';

/**
 * Where in a cycle each fault happens, as a fraction of the cycle's progress. The restart comes first
 * so that even a short load still has runs in flight for the later ones: nothing moves while Temporal is down.
 */
export const FAULT_CYCLE: ReadonlyArray<{ fault: FaultName; at: number }> = [
  { fault: 'temporal_restart', at: 0.2 },
  { fault: 'receiver_outage', at: 0.35 },
  { fault: 'worker_sigkill', at: 0.5 },
];

export interface AppliedFault {
  fault: FaultName;
  cycle: number;
  /** Seconds since the load started. */
  at_s: number;
  /** When the action finished (for the outage: when the window closes). */
  done_s: number;
  detail: Record<string, unknown>;
}

export interface FaultRunner {
  applied: AppliedFault[];
  scheduled: number;
  /** Rejects if a fault could not be applied (the stack is then broken): the load should stop. */
  failure: Promise<never>;
  /** Applies no further faults; waits for one in progress. */
  stop(): Promise<void>;
}

export function startFaults(opts: {
  cycles: number;
  /** The load's progress, 0 to 1. */
  progress: () => number;
  /** Epoch ms the load started at. */
  since: number;
  /** Each fault's action: what it did, and how long its effect lasts past the action (the outage window). */
  actions: Record<FaultName, () => Promise<{ detail: Record<string, unknown>; lastsMs?: number }>>;
}): FaultRunner {
  const applied: AppliedFault[] = [];
  let stopped = false;
  const seconds = (ms: number) => Math.round((ms - opts.since) / 100) / 10;
  let fail: (err: Error) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => (fail = reject));
  // Nobody may be listening when the load finishes first.
  failure.catch(() => undefined);

  const running = (async () => {
    for (let cycle = 0; cycle < opts.cycles; cycle++) {
      for (const step of FAULT_CYCLE) {
        const due = (cycle + step.at) / opts.cycles;
        while (!stopped && opts.progress() < due) await sleep(250);
        if (stopped) return;
        const at = Date.now();
        process.stderr.write(`load: fault ${step.fault} (cycle ${cycle + 1}) at ${seconds(at)} s\n`);
        try {
          const { detail, lastsMs = 0 } = await opts.actions[step.fault]();
          applied.push({ fault: step.fault, cycle: cycle + 1, at_s: seconds(at), done_s: seconds(Date.now() + lastsMs), detail });
        } catch (err) {
          fail(new Error(`fault ${step.fault} could not be applied: ${(err as Error).message}`, { cause: err }));
          return;
        }
      }
    }
  })();

  return {
    applied,
    scheduled: opts.cycles * FAULT_CYCLE.length,
    failure,
    async stop() {
      stopped = true;
      await running;
    },
  };
}
