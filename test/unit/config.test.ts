import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig: settings that keep operational surfaces closed', () => {
  it('refuses a non-loopback HOST without CHAINPORT_METRICS_TOKEN, and accepts loopback without one', () => {
    assert.throws(() => loadConfig({ HOST: '0.0.0.0' }), (err: unknown) => err instanceof ConfigError && /CHAINPORT_METRICS_TOKEN is required/.test(err.message));
    assert.equal(loadConfig({ HOST: '0.0.0.0', CHAINPORT_METRICS_TOKEN: 'a-long-random-token' }).metricsToken, 'a-long-random-token');
    for (const host of ['127.0.0.1', 'localhost', '::1']) assert.equal(loadConfig({ HOST: host }).api.host, host);
  });

  it('requires CHAINPORT_SECRET_KEY when TEMPORAL_ADDRESS names a cluster', () => {
    assert.throws(() => loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }), (err: unknown) => err instanceof ConfigError && /CHAINPORT_SECRET_KEY is required/.test(err.message));
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', CHAINPORT_SECRET_KEY: KEY }).secretKey, KEY);
  });

  it('binds worker and SDK metrics to 127.0.0.1 unless told otherwise, even when the API listens everywhere', () => {
    const config = loadConfig({ HOST: '0.0.0.0', CHAINPORT_METRICS_TOKEN: 'token', CHAINPORT_WORKER_METRICS_PORT: '9100', TEMPORAL_SDK_METRICS_ADDRESS: '9464' });
    assert.equal(config.workerMetricsHost, '127.0.0.1');
    assert.equal(config.sdkMetricsAddress, '127.0.0.1:9464');
    assert.equal(loadConfig({ TEMPORAL_SDK_METRICS_ADDRESS: '0.0.0.0:9464' }).sdkMetricsAddress, '0.0.0.0:9464');
  });
});

describe('loadConfig: the worker beside the API', () => {
  it('runs the worker’s threads 19 nice values below the API by default, takes 0 to 19, and fails fast outside it', () => {
    assert.equal(loadConfig({}).worker.nice, 19);
    assert.equal(loadConfig({ CHAINPORT_WORKER_NICE: '0' }).worker.nice, 0);
    for (const bad of ['-1', '20', 'low']) assert.throws(() => loadConfig({ CHAINPORT_WORKER_NICE: bad }), (err: unknown) => err instanceof ConfigError && /CHAINPORT_WORKER_NICE/.test(err.message));
  });
});

describe('loadConfig: model providers and prices', () => {
  it('configures a provider once its key or base URL is set, and names OpenAI-compatible servers with optional keys', () => {
    const none = loadConfig({});
    assert.deepEqual([none.llm.openai, none.llm.anthropic, none.llm.compatible], [undefined, undefined, {}]);
    const config = loadConfig({
      ANTHROPIC_API_KEY: 'sk-ant',
      CHAINPORT_OPENAI_COMPATIBLE: 'local=http://127.0.0.1:11434/v1, open-router=https://openrouter.ai/api/v1',
      CHAINPORT_OPENAI_COMPATIBLE_OPEN_ROUTER_API_KEY: 'sk-or',
    });
    assert.deepEqual(config.llm.anthropic, { baseUrl: undefined, apiKey: 'sk-ant' });
    assert.deepEqual(config.llm.compatible, {
      local: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: undefined },
      'open-router': { baseUrl: 'https://openrouter.ai/api/v1', apiKey: 'sk-or' },
    });
  });

  it('fails fast on a bad base URL or server list', () => {
    for (const env of [{ OPENAI_BASE_URL: 'localhost:11434' }, { CHAINPORT_OPENAI_COMPATIBLE: 'local' }, { CHAINPORT_OPENAI_COMPATIBLE: 'Local=http://x' }, { CHAINPORT_OPENAI_COMPATIBLE: 'a=http://x,a=http://y' }]) {
      assert.throws(() => loadConfig(env), ConfigError, JSON.stringify(env));
    }
  });

  it('prices by provider:model from the shipped table, overridden by CHAINPORT_LLM_PRICES, with bare names read as OpenAI models', () => {
    assert.deepEqual(loadConfig({}).llm.prices['anthropic:claude-sonnet-4-5'], { input: 3, output: 15 });
    const prices = loadConfig({ CHAINPORT_LLM_PRICES: '{"gpt-4o-mini":{"input":1,"output":2},"openai-compatible:local/llama3.1":{"input":0,"output":0}}' }).llm.prices;
    assert.deepEqual(prices['openai:gpt-4o-mini'], { input: 1, output: 2 });
    assert.deepEqual(prices['openai-compatible:local/llama3.1'], { input: 0, output: 0 });
    assert.throws(() => loadConfig({ CHAINPORT_LLM_PRICES: '{"gpt-4o":{"input":-1,"output":2}}' }), ConfigError);
    assert.throws(() => loadConfig({ CHAINPORT_LLM_PRICES_FILE: '/nonexistent/prices.json' }), /CHAINPORT_LLM_PRICES_FILE: cannot read/);
  });
});

describe('loadConfig: tracing from the OTEL_* variables', () => {
  it('is off without an OTLP endpoint, and when OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says so', () => {
    assert.equal(loadConfig({}).tracing, undefined);
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing, undefined, 'empty counts as unset (compose passes empty values)');
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SDK_DISABLED: 'true' }).tracing, undefined);
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing, undefined);
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as given, with the named sampler', () => {
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' }).tracing, {
      tracesUrl: 'http://jaeger:4318/v1/traces',
      serviceName: undefined,
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    const tracing = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example.com/otlp/traces',
      OTEL_SERVICE_NAME: 'chainport-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    }).tracing;
    assert.deepEqual(tracing, { tracesUrl: 'https://collector.example.com/otlp/traces', serviceName: 'chainport-eu', sampler: 'parentbased_traceidratio', samplerRatio: 0.1 });
  });

  it('fails fast on an endpoint that is no URL, a transport it has no exporter for, an unknown sampler or a ratio outside 0..1', () => {
    const refused = (env: Record<string, string>, variable: string) =>
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.message.includes(variable), variable);
    refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL: only http/protobuf');
    refused({ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER');
    refused({ OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG');
    refused({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER');
  });
});
