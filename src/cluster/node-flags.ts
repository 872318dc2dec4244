/**
 * The V8 flags of every API and worker process: `npm run api` / `npm run worker` (package.json), the
 * image (deploy/docker/entrypoint.sh), `npm run cluster`'s processes and the bench's API process. The
 * first two cannot import this list, so test/unit/node-flags.test.ts holds them to it.
 *
 * - 4 MiB semi-spaces: Node 24's default young generation let one API process serving 500 streams
 *   peak near 370 MiB, with more stream lag.
 * - Old space grown to 1.5x the live heap after a full collection, not up to 4x: the same API process
 *   peaked at 320–345 MiB for 60–85 MiB of live objects; with it, 205 MiB for the same CPU (within
 *   the noise of the bench's fan-out) and stream lag. Unlike `--max-old-space-size` it sets no ceiling
 *   a busier process could hit; unlike `--optimize-for-size` (173 MiB) it does not cost ~40% more CPU.
 *   Neither flag is allowed in NODE_OPTIONS, so they go on the command line.
 */
export const ROLE_NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=50'] as const;
