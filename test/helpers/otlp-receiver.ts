import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** One received span, flattened: ids in hex, attribute values as sent. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a trace's root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** service.name of the process that sent it. */
  service: string;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
export const SPAN_STATUS = { unset: 0, ok: 1, error: 2 } as const;

export interface OtlpReceiver {
  /** The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (spans arrive at /v1/traces). */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Resolves with every span received once `done(spans)` holds (or rejects after `timeoutMs`). */
  waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

// The exporter's own protobuf definitions (the otlp-transformer package it serializes with).
const otlpRoot = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoMessage } } } } };
};
interface ProtoMessage {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: NumberConstructor; enums: NumberConstructor; bytes: StringConstructor; defaults: boolean }): unknown;
}

const anyValue = z.object({ stringValue: z.string().optional(), intValue: z.number().optional(), doubleValue: z.number().optional(), boolValue: z.boolean().optional() });
const keyValues = z.array(z.object({ key: z.string(), value: anyValue })).default([]);
const exportRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: keyValues }).optional(),
        scopeSpans: z
          .array(
            z.object({
              spans: z
                .array(
                  z.object({
                    traceId: z.string(),
                    spanId: z.string(),
                    parentSpanId: z.string().default(''),
                    name: z.string(),
                    kind: z.number(),
                    attributes: keyValues,
                    status: z.object({ code: z.number().default(0) }).optional(),
                  }),
                )
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

const hex = (base64: string) => Buffer.from(base64, 'base64').toString('hex');
const attributesOf = (pairs: z.infer<typeof keyValues>) =>
  Object.fromEntries(pairs.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue ?? ''])) as Record<string, string | number | boolean>;

/** The spans of one OTLP/HTTP protobuf export request body. */
function decodeSpans(body: Buffer): ReceivedSpan[] {
  const { ExportTraceServiceRequest } = otlpRoot.opentelemetry.proto.collector.trace.v1;
  const object = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { longs: Number, enums: Number, bytes: String, defaults: false });
  return exportRequest.parse(object).resourceSpans.flatMap((resourceSpans) => {
    const service = String(attributesOf(resourceSpans.resource?.attributes ?? [])['service.name'] ?? '');
    return resourceSpans.scopeSpans.flatMap(({ spans }) =>
      spans.map((span) => ({
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: hex(span.parentSpanId),
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        statusCode: span.status?.code ?? 0,
        service,
      })),
    );
  });
}

/** An OTLP/HTTP trace receiver on 127.0.0.1 (protobuf bodies, as the service's exporter sends them) that keeps every span. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      try {
        spans.push(...decodeSpans(Buffer.concat(chunks)));
      } catch (err) {
        return void res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
      }
      // An empty ExportTraceServiceResponse: full success.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    async waitFor(done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(spans)) {
        if (Date.now() > deadline) throw new Error(`the spans received within ${timeoutMs} ms did not complete the trace:\n${spans.map((s) => `  ${s.name}`).join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return spans;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
