import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type Router from '@koa/router';
import { isLocalRequest } from '../local-mode.js';
import { ApiError } from '../problem.js';
import { ensureError } from '../../errors.js';

/** The playground's Vite project (playground/), built into playground/dist. */
export const PLAYGROUND_ROOT = path.resolve(import.meta.dirname, '../../../playground');
const DIST = path.join(PLAYGROUND_ROOT, 'dist');
/** What the bundle is made of: a dist older than any of these is rebuilt. */
const SOURCES = [path.join(PLAYGROUND_ROOT, 'index.html'), path.join(PLAYGROUND_ROOT, 'vite.config.ts'), path.join(PLAYGROUND_ROOT, 'src'), path.resolve(PLAYGROUND_ROOT, '../src/client')];

const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
/** The page talks only to this origin: no CDN, no third-party script, no framing. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

interface Built {
  index: Buffer;
  /** Hashed file name → content type: the only files /playground/assets serves. */
  assets: Map<string, string>;
}

let built: Promise<Built> | undefined;

/**
 * The built playground. On first use in a process, playground/dist is built when it is missing or
 * older than its sources (Vite takes about a second), so `npm start` and the tests need no build step
 * and never serve a stale bundle. A failed build is retried on the next request.
 */
export function playground(): Promise<Built> {
  built ??= load().catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}

async function load(): Promise<Built> {
  const index = path.join(DIST, 'index.html');
  const builtAt = await stat(index).then((s) => s.mtimeMs, () => -1);
  if (builtAt < (await newestChange(SOURCES))) {
    const vite = await import('vite');
    await vite.build({ root: PLAYGROUND_ROOT, configFile: path.join(PLAYGROUND_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  }
  const files = await readdir(path.join(DIST, 'assets'));
  const assets = new Map(files.flatMap((file) => (TYPES[path.extname(file)] ? [[file, TYPES[path.extname(file)]!] as const] : [])));
  return { index: await readFile(index), assets };
}

/** The newest modification time among these files and, recursively, the files of these folders. */
async function newestChange(paths: readonly string[]): Promise<number> {
  let newest = 0;
  for (const entry of paths) {
    const info = await stat(entry).catch(() => undefined);
    if (!info) continue;
    newest = Math.max(newest, info.mtimeMs);
    if (info.isDirectory()) {
      const children = await readdir(entry);
      newest = Math.max(newest, await newestChange(children.map((child) => path.join(entry, child))));
    }
  }
  return newest;
}

/**
 * GET /playground (the page, revalidated every time), /playground/assets/* (hashed, immutable) and
 * /playground/local-key: the development key, answered only in local mode (no caller configured, and a
 * request from this machine's own browser; see isLocalRequest), so a newcomer runs a chain without
 * pasting it. Anywhere else it is 404, like any unknown path.
 */
export function mountPlayground(router: Router, devKey: string | undefined): void {
  const page = async (): Promise<Built> => {
    try {
      return await playground();
    } catch (err) {
      throw new ApiError('unavailable', `The playground could not be built (${ensureError(err).message}); run \`npm run build:playground\` and see its output.`);
    }
  };
  router.get(['/playground', '/playground/'], async (ctx) => {
    const { index } = await page();
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-cache');
    ctx.set('content-security-policy', CSP);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.body = index;
  });
  router.get('/playground/assets/:file', async (ctx) => {
    const { assets } = await page();
    const type = assets.get(ctx.params.file!);
    if (!type) return;
    ctx.type = type;
    ctx.set('cache-control', 'public, max-age=31536000, immutable');
    ctx.set('x-content-type-options', 'nosniff');
    ctx.body = await readFile(path.join(DIST, 'assets', ctx.params.file!));
  });
  router.get('/playground/local-key', (ctx) => {
    if (!devKey || !isLocalRequest(ctx)) return;
    ctx.set('cache-control', 'no-store');
    ctx.body = { api_key: devKey };
  });
}
