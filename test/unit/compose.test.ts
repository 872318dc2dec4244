// The production stack (docker-compose.yml, Dockerfile, deploy/): structural checks that need no Docker.
// `deploy/validate-compose.sh` runs `docker compose config` where a Compose v2 CLI is installed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition?: string; required?: boolean }> | string[];
  deploy?: { replicas?: number | string };
  ports?: Array<string | { published?: string | number }>;
  expose?: Array<string | number>;
  volumes?: Array<string | { source?: string; target?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { file?: string }>;
}

// `merge: true` resolves the `<<: *chainport-env` merge keys the file uses, as Compose does.
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;

function service(name: string): Service {
  const s = services[name];
  assert.ok(s, `docker-compose.yml has a "${name}" service`);
  return s;
}

function env(name: string): Record<string, string> {
  const e = service(name).environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
}

function buildContext(s: Service): string | undefined {
  return typeof s.build === 'string' ? s.build : s.build?.context;
}

function dependsOn(name: string): Record<string, { condition?: string; required?: boolean }> {
  const d = service(name).depends_on ?? {};
  return Array.isArray(d) ? Object.fromEntries(d.map((n) => [n, {}])) : d;
}

describe('docker-compose.yml', () => {
  it('has the stack services: postgresql, temporal, temporal-ui, worker, api, proxy (and optional redis)', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'worker', 'api', 'proxy']) {
      const s = service(name);
      assert.equal(s.profiles, undefined, `${name} starts without a profile`);
    }
    assert.deepEqual(service('redis').profiles, ['redis'], 'redis is optional, behind the "redis" profile');
  });

  it('runs Temporal from pinned official images, backed by PostgreSQL with schema setup and our dynamic config', () => {
    const temporal = service('temporal');
    assert.match(temporal.image ?? '', /^temporalio\/auto-setup:\$\{TEMPORAL_VERSION:-1\.29\.\d+\}$/);
    assert.match(service('temporal-ui').image ?? '', /^temporalio\/ui:\$\{TEMPORAL_UI_VERSION:-\d+\.\d+\.\d+\}$/);
    assert.match(service('postgresql').image ?? '', /^postgres:\$\{POSTGRESQL_VERSION:-16\}$/);
    const e = env('temporal');
    assert.equal(e.DB, 'postgres12');
    assert.equal(e.POSTGRES_SEEDS, 'postgresql');
    assert.match(e.DEFAULT_NAMESPACE_RETENTION ?? '', /CHAINPORT_RETENTION/);
    assert.equal(dependsOn('temporal').postgresql?.condition, 'service_healthy');
    assert.ok(service('postgresql').healthcheck?.test, 'postgresql has a healthcheck');
    assert.ok(service('temporal').healthcheck?.test, 'temporal has a healthcheck');

    const dynamicConfigPath = e.DYNAMIC_CONFIG_FILE_PATH ?? '';
    const mount = (temporal.volumes ?? [])
      .map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`))
      .find((v) => v.startsWith('./deploy/temporal/dynamic-config.yaml:'));
    assert.ok(mount, 'deploy/temporal/dynamic-config.yaml is mounted into temporal');
    assert.ok(mount.split(':')[1]?.endsWith(dynamicConfigPath), `DYNAMIC_CONFIG_FILE_PATH (${dynamicConfigPath}) is the mounted file`);
    const dynamic = parseYaml(read('deploy/temporal/dynamic-config.yaml')) as Record<string, Array<{ value: unknown }>>;
    assert.equal(dynamic['system.enableActivityEagerExecution']?.[0]?.value, true);
    assert.equal(dynamic['system.forceSearchAttributesCacheRefreshOnRead']?.[0]?.value, true);
  });

  it('builds worker and api from this repository, scaled by CHAINPORT_WORKERS / CHAINPORT_APIS', () => {
    for (const [name, variable] of [['worker', 'CHAINPORT_WORKERS'], ['api', 'CHAINPORT_APIS']] as const) {
      const s = service(name);
      assert.equal(buildContext(s), '.', `${name} builds from .`);
      assert.match(String(s.deploy?.replicas), new RegExp(`^\\$\\{${variable}:-\\d+\\}$`), `${name} replicas come from ${variable}`);
      assert.equal(dependsOn(name).temporal?.condition, 'service_healthy', `${name} starts after Temporal is healthy`);
    }
    assert.deepEqual(service('worker').command, ['worker']);
    assert.equal(service('api').ports, undefined, 'API replicas publish no host port (the proxy does)');
  });

  it('gives api and worker the Temporal address, the shared secret key (required) and the shared settings', () => {
    for (const name of ['worker', 'api']) {
      const e = env(name);
      assert.match(e.TEMPORAL_ADDRESS ?? '', /temporal:7233/, `${name}: TEMPORAL_ADDRESS`);
      assert.ok(e.TEMPORAL_NAMESPACE, `${name}: TEMPORAL_NAMESPACE`);
      assert.match(e.CHAINPORT_SECRET_KEY ?? '', /^\$\{CHAINPORT_SECRET_KEY:\?.+\}$/, `${name}: CHAINPORT_SECRET_KEY is required`);
      assert.ok(e.CHAINPORT_RETENTION, `${name}: CHAINPORT_RETENTION`);
      assert.ok(e.TEMPORAL_UI_URL, `${name}: TEMPORAL_UI_URL`);
    }
    const api = env('api');
    assert.equal(api.HOST, '0.0.0.0');
    assert.ok('REDIS_URL' in api, 'api: REDIS_URL');
    assert.ok('CHAINPORT_API_KEYS' in api && 'CHAINPORT_CALLERS_FILE' in api, 'api: callers from CHAINPORT_API_KEYS or CHAINPORT_CALLERS_FILE');
    assert.equal(api.CHAINPORT_REQUIRE_CALLERS, 'true', 'api replicas never fall back to per-container development keys');
    const callersFile = compose.configs?.callers?.file ?? '';
    assert.ok(existsSync(path.join(root, callersFile.replace(/^\$\{[A-Z_]+:-(.+)\}$/, '$1'))), 'the default callers file exists');
  });

  it('puts an nginx proxy on host port 3000 in front of the API replicas, unbuffered for SSE', () => {
    const proxy = service('proxy');
    assert.match(proxy.image ?? '', /^nginx:/);
    assert.ok((proxy.ports ?? []).some((p) => /\$\{CHAINPORT_PORT:-3000\}:8080$/.test(String(p))), 'proxy publishes port 3000');
    assert.equal(dependsOn('proxy').api?.condition, 'service_healthy');
    const conf = read('deploy/nginx/nginx.conf');
    assert.match(conf, /server api:3000/);
    assert.match(conf, /proxy_buffering off;/);
    assert.match(conf, /proxy_set_header X-Request-Id /);
    assert.match(conf, /proxy_read_timeout (\d+)s;/);
    assert.ok(Number(/proxy_read_timeout (\d+)s;/.exec(conf)?.[1]) > 300, 'outlasts the longest sync wait (300 s)');
  });

  it('requires a metrics token for the API replicas and keeps /metrics and query strings away from the outside', () => {
    assert.match(env('api').CHAINPORT_METRICS_TOKEN ?? '', /^\$\{CHAINPORT_METRICS_TOKEN:\?.+\}$/, 'api: CHAINPORT_METRICS_TOKEN is required');
    const conf = read('deploy/nginx/nginx.conf');
    assert.match(conf, /location = \/metrics \{\s*deny all;\s*\}/, 'nginx denies /metrics');
    const formats = [...conf.matchAll(/log_format\s+\w+([^;]*);/g)].map((m) => m[1]!);
    assert.ok(formats.length > 0, 'nginx has a log_format');
    for (const format of formats) assert.doesNotMatch(format, /\$(request|args|query_string|request_uri)\b/, 'no query string (stream tokens) in the access log');
  });

  it('deploy/.env.example names every variable the file requires', () => {
    const example = read('deploy/.env.example');
    const required = [...read('docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!);
    assert.ok(required.length > 0);
    for (const name of new Set(required)) assert.match(example, new RegExp(`^${name}=`, 'm'), `${name} in deploy/.env.example`);
  });
});

describe('Docker build context', () => {
  it('has a .dockerignore that keeps node_modules, data and .env files out of the build context', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', 'data', '.git', '**/.env']) assert.ok(ignore.includes(entry), `.dockerignore lists ${entry}`);
  });
});
