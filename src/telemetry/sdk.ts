// Loaded only when tracing is on (see tracing.ts): the OpenTelemetry SDK, the OTLP exporter and
// Temporal's interceptors stay out of a process that does not trace.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { TracingSettings } from '../config.js';
import { VERSION } from '../version.js';

export interface Tracing {
  /** For every Temporal client: a workflow start (signal, query…) becomes a span whose context travels in the workflow's headers. */
  clientInterceptors: ClientInterceptors;
  /** For the worker: a span per activity, continuing the workflow's; and the sink the workflow's own spans leave the sandbox by. */
  worker: { interceptors: WorkerInterceptors; sinks: InjectedSinks<OpenTelemetrySinks> };
  /** Exports the spans still buffered and stops; call once, as the process ends. */
  shutdown(): Promise<void>;
}

/**
 * Registers the process-wide tracer provider (AsyncLocalStorage context, W3C trace-context and baggage
 * propagation) that batches spans to the OTLP/HTTP endpoint, and returns what the Temporal client and
 * worker need to carry one trace from an API request through the workflow to every activity.
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the process; the exporter reads
 * OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT and the batch processor OTEL_BSP_* themselves.
 */
export function installTracing(settings: TracingSettings, defaultServiceName: string): Tracing {
  // OTEL_RESOURCE_ATTRIBUTES (read by the env detector) may add attributes; the service name is the configuration's.
  const resource = new Resource({ 'service.version': VERSION })
    .merge(envDetectorSync.detect())
    .merge(new Resource({ 'service.name': settings.serviceName ?? defaultServiceName }));
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }));
  const provider = new NodeTracerProvider({ resource, sampler: sampler(settings), spanProcessors: [spanProcessor] });
  provider.register();
  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    worker: {
      interceptors: {
        activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      },
      // Workflow spans are made in the sandbox and handed to the same processor (not during replay: sinks are not called then).
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The sampler OTEL_TRACES_SAMPLER names; the ratio ones sample OTEL_TRACES_SAMPLER_ARG of new traces. */
function sampler({ sampler: name, samplerRatio }: TracingSettings): Sampler {
  const root = (kind: 'always_on' | 'always_off' | 'traceidratio'): Sampler =>
    kind === 'always_on' ? new AlwaysOnSampler() : kind === 'always_off' ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(samplerRatio);
  switch (name) {
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: root('always_on') });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: root('always_off') });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: root('traceidratio') });
    default:
      return root(name);
  }
}
