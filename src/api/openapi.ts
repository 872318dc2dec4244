import { z } from 'zod';
import { deliveredPayloadSchema } from '../webhooks/payload.js';
import { WEBHOOK_EVENTS } from '../records/schemas.js';
import { WEBHOOK_HEADER } from '../webhooks/wire.js';
import type { ResponseSpec, RouteSpec } from './route.js';
import { problemSchema } from './schemas.js';

/**
 * JSON Schema (2020-12, which OpenAPI 3.1 uses as is) for a zod schema. Schemas with a meta `id` come
 * back from zod as `#/$defs/<id>` refs, which would resolve against the document root; they are
 * moved into `components.schemas` and the refs pointed there.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) addComponent(components, id, refsToComponents(def));
  return refsToComponents(rest);
}

function addComponent(components: Record<string, unknown>, id: string, schema: unknown): { $ref: string } {
  if (id in components && JSON.stringify(components[id]) !== JSON.stringify(schema)) throw new Error(`OpenAPI: two different schemas have the id ${id}`);
  components[id] = schema;
  return { $ref: `#/components/schemas/${id}` };
}

function refsToComponents<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as T;
}

const ERROR_CODES_NOTE = 'Errors are application/problem+json with a stable `code`; see the README error table.';

/** Response headers, defined once in `components.headers` and referenced by name. */
const HEADERS: Record<string, { description: string; required?: boolean; schema: Record<string, unknown> }> = {
  'X-Request-Id': { description: 'The request id (yours when sane, else generated); also `request_id` in problem bodies', required: true, schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before retrying or polling again', schema: { type: 'string', pattern: '^[0-9]+$' } },
  RateLimit: { description: 'IETF draft RateLimit header: `"<policy>";r=<remaining>;t=<seconds to reset>`', schema: { type: 'string' } },
  'RateLimit-Policy': { description: 'IETF draft RateLimit-Policy header: `"<policy>";q=<quota>;w=<window seconds>`', schema: { type: 'string' } },
  Location: { description: 'Where to poll the run (or its deliveries)', schema: { type: 'string' } },
  'WWW-Authenticate': { description: 'The authentication scheme: Bearer', required: true, schema: { type: 'string' } },
};
const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

/**
 * The problem answers a route can give besides its own, from what it takes: the body reader answers
 * every POST (even one whose route reads no body), a query or header schema can reject, a path
 * parameter names a resource that may not exist, an authenticated route needs a key, a quota and
 * Temporal. Each is a problem+json document with a stable `code`.
 */
function commonProblems(route: RouteSpec): Record<number, ResponseSpec> {
  const answers: Record<number, ResponseSpec> = {};
  if (route.params) answers[404] = { description: `${route.paramsNotFound ?? 'not_found'}: nothing at this path` };
  if (route.query) answers[422] = { description: 'validation_failed: a query parameter is not valid; see `errors`' };
  if (route.headers?.some((h) => h.schema)) answers[400] = { description: 'invalid_request: a request header is not valid' };
  if (route.method === 'post') {
    answers[400] = { description: 'malformed_json: the body is not JSON; invalid_request: the body could not be read, or a request header is not valid' };
    answers[408] = { description: 'request_timeout: the announced body did not arrive in time; the connection is closed' };
    answers[413] = { description: 'payload_too_large: the body is over CHAINPORT_MAX_BODY_BYTES' };
    answers[415] = { description: 'unsupported_media_type: a body that is not application/json' };
    answers[422] = { description: 'validation_failed: the body does not match its schema, or nests deeper than 64 levels; see `errors`' };
  }
  if (!route.public) {
    answers[401] = { description: 'unauthorized: missing or unknown API key' };
    answers[429] = { description: 'rate_limited: over a limit; see Retry-After', headers: ['Retry-After', 'RateLimit', 'RateLimit-Policy'] };
    answers[503] = { description: 'unavailable: Temporal is unreachable or slow, or no worker answered for a running job in time (or failed the task that carried an answer); retry after Retry-After. chain_unavailable: the chain cannot run here' };
  }
  answers[500] = { description: 'internal: a bug on our side; quote the request_id' };
  return answers;
}

/** Node answers an oversized request head (headers or query string) itself, before the app, without a body. */
const HEAD_TOO_LARGE = { description: 'Request Header Fields Too Large: the headers or the query string are over Node’s limit (16 KiB); answered by Node with no body' };

/**
 * A text/event-stream response's schema, which under OpenAPI 3.1 describes each event (as 3.2's
 * `itemSchema` does): its `event` name, its `id` and its `data`, a JSON text whose schema is the
 * event's own (`contentMediaType` + `contentSchema`).
 */
function eventStreamSchema(events: Readonly<Record<string, z.ZodType>>, components: Record<string, unknown>): Record<string, unknown> {
  return {
    description: 'One Server-Sent Event: `id:`, `event:` and one line of JSON `data:`. Comments (`: keep-alive`) carry no event.',
    oneOf: Object.entries(events).map(([event, data]) => ({
      type: 'object',
      required: ['event', 'id', 'data'],
      properties: {
        event: { const: event },
        id: { type: 'string', description: 'A position in the run: resume after it with Last-Event-ID' },
        data: { type: 'string', contentMediaType: 'application/json', contentSchema: addComponent(components, `${pascal(event)}Event`, jsonSchema(data, 'output', components)) },
      },
    })),
  };
}

/** `run.timed_out` → `RunTimedOut`: component names for event payloads. */
function pascal(name: string): string {
  return name
    .split(/[._]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** The operation's responses, its own declarations first, then the problems every such route can answer. */
function responsesOf(route: RouteSpec, schemas: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const declared = { ...commonProblems(route), ...route.responses };
  const responses: Record<string, Record<string, unknown>> = {};
  for (const [status, response] of Object.entries(declared)) {
    const isError = Number(status) >= 400;
    const contentType = response.contentType ?? (isError ? 'application/problem+json' : 'application/json');
    const zodSchema = response.schema ?? (isError ? problemSchema : undefined);
    const schema = response.events ? eventStreamSchema(response.events, schemas) : zodSchema && jsonSchema(zodSchema, 'output', schemas);
    const named = ['X-Request-Id', ...(status === '401' ? ['WWW-Authenticate'] : []), ...(response.headers ?? [])];
    const headers = Object.fromEntries(named.map((name) => [name, header(name)]));
    responses[status] = {
      description: response.description,
      headers,
      ...(schema && { content: { [contentType]: { schema } } }),
    };
  }
  responses['431'] = HEAD_TOO_LARGE;
  return responses;
}

/**
 * OpenAPI links: a response that gives path parameter values (`provides`) links to every operation
 * addressed by exactly those values, so client generators and stateful tools can walk a run's life
 * from the response that started it.
 */
function linksFor(provides: Readonly<Record<string, string>>, routes: readonly RouteSpec[], self: RouteSpec): Record<string, unknown> {
  const links: Record<string, unknown> = {};
  for (const target of routes) {
    const needs = target.params ? Object.keys((target.params as z.ZodObject).shape) : [];
    if (target === self || needs.length === 0 || !needs.every((name) => name in provides)) continue;
    links[target.operationId] = {
      operationId: target.operationId,
      parameters: Object.fromEntries(needs.map((name) => [`path.${name}`, provides[name]])),
      description: `${target.summary}, for the ${needs.join(' and ')} this response gives`,
    };
  }
  return links;
}

/** Standard Webhooks headers (and the simple HMAC one) every delivery carries; see the README. */
const WEBHOOK_HEADERS = [
  { name: WEBHOOK_HEADER.id, description: 'The delivery_id: the same on every retry and redelivery; de-duplicate on it' },
  { name: WEBHOOK_HEADER.timestamp, description: 'Unix seconds of this attempt; reject deliveries more than 5 minutes from your clock' },
  { name: WEBHOOK_HEADER.signature, description: '`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` (Standard Webhooks)' },
  { name: WEBHOOK_HEADER.bodySignature, description: '`sha256=<hex HMAC-SHA256 of the body>`, keyed by the secret’s UTF-8 bytes; covers no id or time, so it does not stop replays' },
];

/** OpenAPI 3.1 `webhooks`: one POST per event a run's webhook delivers, with its payload schema and signature headers. */
function webhooksOf(schemas: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    WEBHOOK_EVENTS.map((event) => [
      event,
      {
        post: {
          operationId: `on${pascal(event)}`,
          summary: `${event}: delivered to the run's webhook URL`,
          description:
            'Signed over the exact body bytes; verify before parsing. Retried with exponential backoff on any non-2xx answer, timeout or connection error; deliveries of one run may arrive out of order (order them by `timestamp`).',
          tags: ['webhooks'],
          security: [],
          parameters: WEBHOOK_HEADERS.map(({ name, description }) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } })),
          requestBody: {
            required: true,
            content: { 'application/json': { schema: addComponent(schemas, `${pascal(event)}Webhook`, jsonSchema(deliveredPayloadSchema(event), 'output', schemas)) } },
          },
          responses: {
            '200': { description: 'Any 2xx: delivered' },
            '410': { description: 'Gone: stop retrying this delivery' },
            default: { description: 'Anything else is retried; a Retry-After on 429 or 503 sets the next delay' },
          },
        },
      },
    ]),
  );
}

const TAGS: Record<string, string> = {
  runs: 'Start runs (synchronously or not), poll, list and cancel them',
  streaming: "Server-Sent Events of a run's progress and agent output",
  webhooks: 'Webhook deliveries of a run: the log, redelivery, and the events delivered',
  chains: 'The chains a caller may run',
  operations: 'Liveness, readiness and metrics; no API key',
  demo: 'A stand-in service the shipped data-enrichment chain calls',
};

/** The OpenAPI 3.1 document, generated from the same route declarations and zod schemas the handlers use. */
export function buildOpenApi(routes: readonly RouteSpec[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([a-z_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    if (route.params) {
      const shape = (route.params as z.ZodObject).shape as Record<string, z.ZodType>;
      for (const [name, schema] of Object.entries(shape)) parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input', schemas) });
    }
    if (route.query) {
      const shape = (route.query as z.ZodObject).shape as Record<string, z.ZodType>;
      for (const [name, schema] of Object.entries(shape)) {
        const { description, ...bounds } = jsonSchema(schema, 'input', schemas);
        parameters.push({ name, in: 'query', required: !schema.safeParse(undefined).success, ...(description !== undefined && { description }), schema: bounds });
      }
    }
    for (const spec of route.headers ?? []) {
      parameters.push({ name: spec.name, in: 'header', required: spec.required ?? false, description: spec.description, schema: spec.schema ? jsonSchema(spec.schema, 'input', schemas) : { type: 'string' } });
    }
    const responses = responsesOf(route, schemas);
    for (const [status, response] of Object.entries(route.responses)) {
      if (response.provides) responses[status]!.links = linksFor(response.provides, routes, route);
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      description: [route.description, ERROR_CODES_NOTE].filter(Boolean).join('\n\n'),
      tags: [route.tag],
      ...(route.public ? { security: [] } : {}),
      ...(parameters.length > 0 && { parameters }),
      ...(route.body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input', schemas) } } } }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chainport API',
      version: info.version,
      description: 'Run multi-agent chains synchronously, asynchronously with polling, with webhooks or as Server-Sent Events.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    webhooks: webhooksOf(schemas),
    components: {
      schemas,
      headers: HEADERS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Your API key' } },
    },
  };
}
