/** Percentile (nearest rank) of a list of numbers; 0 for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank]!);
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Runs `task` `total` times with at most `concurrency` at once; returns each call's duration in ms and the wall time. */
export async function runPool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ durations: number[]; wallMs: number }> {
  const durations: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        durations.push(performance.now() - t0);
      }
    }),
  );
  return { durations, wallMs: performance.now() - started };
}

/** A figure beside its baseline, with the ratio measured in the same run. */
export function versus(value: number, baseline: number) {
  return { value: round(value), baseline: round(baseline), ratio: baseline > 0 ? round(value / baseline, 3) : null };
}

/**
 * Starts `task` `total` times at `ratePerS`, however long each takes (an open-loop load, as independent
 * callers arrive), and waits for them all.
 */
export async function runPaced(total: number, ratePerS: number, task: (i: number) => Promise<void>): Promise<{ wallMs: number }> {
  const started = performance.now();
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / ratePerS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    tasks.push(task(i));
  }
  await Promise.all(tasks);
  return { wallMs: performance.now() - started };
}
