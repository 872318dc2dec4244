// Container HEALTHCHECK for both roles of the Chainport image, without curl or wget in the image.
// - API: GET http://127.0.0.1:$PORT/healthz must answer 200 within 3 s (liveness; /readyz also needs a
//   polling worker, so it would mark every API unhealthy while workers restart).
// - Worker: its Node process (dist/worker.js) must be running; Temporal itself notices a worker that
//   stops polling and hands its tasks to the others.
/* global fetch, AbortSignal -- Node globals; plain .mjs so the check starts fast */
import { readdirSync, readFileSync } from 'node:fs';

function running(script) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(script)) return true;
    } catch {
      // the process ended while we looked
    }
  }
  return false;
}

if (running('dist/worker.js')) process.exit(0);

const port = process.env.PORT || '3000';
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthz: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
