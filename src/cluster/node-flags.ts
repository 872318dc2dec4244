/**
 * The V8 flags of API and worker processes: `npm run api` / `npm run worker` (package.json), the image
 * (deploy/docker/entrypoint.sh), `npm run cluster`'s processes and the bench's API process. The first
 * two cannot import this, so test/unit/node-flags.test.ts holds them to it. NODE_OPTIONS refuses
 * `--heap-growing-percent`, so the flags go on the command line.
 *
 * - 4 MiB semi-spaces, both roles: Node 24's default young generation let one API process serving
 *   500 streams peak near 370 MiB, with more stream lag.
 * - The API's old space grown to 1.5x its live heap after a full collection, not up to 4x: that API
 *   process peaked at 320–345 MiB for 60–85 MiB of live objects; with it, 205 MiB at the same CPU and
 *   stream lag (within the noise of the bench's fan-out). Unlike `--max-old-space-size` it sets no
 *   ceiling a busier process could hit; unlike `--optimize-for-size` (173 MiB) it does not cost ~40%
 *   more CPU. Not the worker's: on the cluster bench its processes held 219–227 MiB with it against
 *   191–220 without (V8 picks a smaller factor for them on its own).
 */
export const NODE_FLAGS = {
  api: ['--max-semi-space-size=4', '--heap-growing-percent=50'],
  worker: ['--max-semi-space-size=4'],
} as const;
