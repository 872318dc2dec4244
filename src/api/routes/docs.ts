import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Router from '@koa/router';
import { buildOpenApi } from '../openapi.js';
import { PROBLEMS } from '../problem.js';
import type { RouteSpec } from '../route.js';

const require = createRequire(import.meta.url);
const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
/** The only files /docs/assets serves: no path from the request ever reaches the file system. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** GET /openapi.json (generated from the routes' own schemas) and GET /docs (Swagger UI served locally, no CDN). */
export function mountDocs(router: Router, routes: readonly RouteSpec[], version: string): void {
  const document = JSON.stringify(buildOpenApi(routes, { version }), null, 2);
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = document;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('content-security-policy', DOCS_CSP);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('referrer-policy', 'no-referrer');
    ctx.body = docsPage();
  });
  router.get('/docs/assets/:file', async (ctx) => {
    const type = ASSETS[ctx.params.file!];
    if (!type) return;
    ctx.type = type;
    ctx.set('cache-control', 'public, max-age=86400');
    ctx.set('x-content-type-options', 'nosniff');
    ctx.body = await readFile(path.join(SWAGGER_DIR, ctx.params.file!));
  });
}

/** The page's one inline script, allowed by its hash; every other script must come from this origin. */
const INIT_SCRIPT = "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: false });";
/**
 * No framing (clickjacking), scripts only from this origin or the inline start-up script, requests only
 * to this origin. Swagger UI styles elements inline, so styles may be inline.
 */
const DOCS_CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(INIT_SCRIPT).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function docsPage(): string {
  const rows = Object.entries(PROBLEMS)
    .map(([code, { status, title }]) => `<tr id="error-${code}"><td><code>${code}</code></td><td>${status}</td><td>${title}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chainport API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png">
<style>body{margin:0;font-family:system-ui,sans-serif}.errors{max-width:1460px;margin:0 auto;padding:0 20px 40px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}</style>
</head><body><div id="ui"></div>
<section class="errors"><h2 id="errors">Error codes</h2><p>Every error is <code>application/problem+json</code> with a stable <code>code</code>.</p>
<table><thead><tr><th>code</th><th>HTTP status</th><th>meaning</th></tr></thead><tbody>${rows}</tbody></table></section>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>${INIT_SCRIPT}</script>
</body></html>`;
}
