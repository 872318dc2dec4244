// The production stack (docker-compose.yml, deploy/): structural checks that need no Docker.
// `deploy/validate-compose.sh` runs `docker compose config` where a Compose v2 CLI is installed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { DYNAMIC_CONFIG, SERVER_CONFIG, SETUP_SCHEMA } from '../../src/cluster/temporal-server.js';

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

  it('runs Temporal as Temporal documents it now: the server image after a schema job, then a namespace job, all pinned', () => {
    const pinned = /^[a-z/-]+:\$\{[A-Z_]+:-\d+\.\d+(\.\d+)?(-alpine)?\}$/;
    for (const name of ['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui', 'proxy', 'redis']) {
      assert.match(service(name).image ?? '', pinned, `${name} runs a pinned image`);
    }
    assert.match(service('temporal').image ?? '', /^temporalio\/server:/);
    assert.doesNotMatch(read('docker-compose.yml'), /image: temporalio\/auto-setup/, 'no deprecated auto-setup image');
    assert.equal(dependsOn('temporal-schema').postgresql?.condition, 'service_healthy');
    assert.equal(dependsOn('temporal')['temporal-schema']?.condition, 'service_completed_successfully');
    assert.equal(dependsOn('temporal-namespace').temporal?.condition, 'service_healthy');
    assert.match(env('temporal-namespace').RETENTION ?? '', /CHAINPORT_RETENTION/);
    assert.ok(service('postgresql').healthcheck?.test, 'postgresql has a healthcheck');
    assert.ok(service('temporal').healthcheck?.test, 'temporal has a healthcheck');
    const dynamic = parseYaml(read('deploy/temporal/dynamic-config.yaml')) as Record<string, Array<{ value: unknown }>>;
    assert.equal(dynamic['system.enableActivityEagerExecution']?.[0]?.value, true);
    assert.equal(dynamic['system.forceSearchAttributesCacheRefreshOnRead']?.[0]?.value, false, 'off, as on the embedded server: SQL visibility keeps the attributes in the namespace');
  });

  it('mounts the very files `npm run cluster` runs: the server config, its dynamic config and the schema job', () => {
    const mounts = (name: string) => (service(name).volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    const target = (name: string, file: string) => mounts(name).find((m) => m.startsWith(`./${path.relative(root, file)}:`))?.split(':')[1];
    const temporal = env('temporal');
    assert.equal(target('temporal', SERVER_CONFIG), temporal.TEMPORAL_SERVER_CONFIG_FILE_PATH, 'the server starts with deploy/temporal/server.yaml');
    assert.equal(target('temporal', DYNAMIC_CONFIG), temporal.DYNAMIC_CONFIG_FILE_PATH, 'and deploy/temporal/dynamic-config.yaml');
    const schemaScript = target('temporal-schema', SETUP_SCHEMA);
    assert.ok(schemaScript && (service('temporal-schema').command ?? []).includes(schemaScript), 'the schema job runs deploy/temporal/setup-schema.sh');
    // The same database settings reach the schema job and the server, under the server config's names.
    for (const name of ['POSTGRES_SEEDS', 'DB_PORT', 'POSTGRES_USER', 'POSTGRES_PWD']) {
      assert.equal(env('temporal-schema')[name], temporal[name], `${name} is the same for the schema job and the server`);
      assert.match(read('deploy/temporal/server.yaml'), new RegExp(`env "${name}"`), `server.yaml reads ${name}`);
    }
  });

  it('builds worker and api from this repository, scaled by CHAINPORT_WORKERS / CHAINPORT_APIS', () => {
    for (const [name, variable] of [['worker', 'CHAINPORT_WORKERS'], ['api', 'CHAINPORT_APIS']] as const) {
      const s = service(name);
      assert.equal(buildContext(s), '.', `${name} builds from .`);
      assert.match(String(s.deploy?.replicas), new RegExp(`^\\$\\{${variable}:-\\d+\\}$`), `${name} replicas come from ${variable}`);
      assert.equal(dependsOn(name)['temporal-namespace']?.condition, 'service_completed_successfully', `${name} starts once Temporal serves the namespace`);
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

  it('traces to a Jaeger all-in-one by OTLP/HTTP, its UI on loopback, unless OTEL_* in .env say otherwise', () => {
    const jaeger = service('jaeger');
    assert.match(jaeger.image ?? '', /^jaegertracing\/all-in-one:\$\{JAEGER_VERSION:-\d+\.\d+\.\d+\}$/, 'pinned');
    assert.deepEqual(jaeger.expose?.map(String).sort(), ['4317', '4318'], 'OTLP gRPC and HTTP on the compose network');
    assert.ok(jaeger.ports?.some((p) => String(p).startsWith('${JAEGER_UI_BIND:-127.0.0.1}:') && String(p).endsWith(':16686')), 'UI on loopback by default');
    for (const [name, serviceName] of [['worker', 'chainport-worker'], ['api', 'chainport-api']] as const) {
      const e = env(name);
      assert.equal(e.OTEL_EXPORTER_OTLP_ENDPOINT, '${OTEL_EXPORTER_OTLP_ENDPOINT:-http://jaeger:4318}', `${name}: OTLP/HTTP to jaeger`);
      assert.equal(e.OTEL_SERVICE_NAME, serviceName);
      assert.ok('OTEL_SDK_DISABLED' in e && 'OTEL_TRACES_SAMPLER' in e, `${name}: tracing can be sampled or turned off`);
      assert.ok(dependsOn(name).jaeger, `${name} starts after jaeger`);
    }
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

// The image itself is proven by running what its final stage holds (test/cluster/production.test.ts).
describe('Docker build context', () => {
  it('has a .dockerignore that keeps node_modules, data and .env files out of the build context', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', 'data', '.git', '**/.env']) assert.ok(ignore.includes(entry), `.dockerignore lists ${entry}`);
  });
});
