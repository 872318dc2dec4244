import { z } from 'zod';
import type { RouteSpec } from './route.js';
import { problemSchema } from './schemas.js';

/**
 * JSON Schema (2020-12, which OpenAPI 3.1 uses as is) for a zod schema. Schemas with a meta `id` come
 * back from zod as `#/$defs/<id>` refs, which would resolve against the document root; they are
 * moved into `components.schemas` and the refs pointed there.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
    const named = refsToComponents(def);
    if (id in components && JSON.stringify(components[id]) !== JSON.stringify(named)) throw new Error(`OpenAPI: two different schemas have the id ${id}`);
    components[id] = named;
  }
  return refsToComponents(rest);
}

function refsToComponents<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as T;
}

const ERROR_CODES_NOTE = 'Errors are application/problem+json with a stable `code`; see the README error table.';

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
        parameters.push({ name, in: 'query', required: !schema.safeParse(undefined).success, schema: jsonSchema(schema, 'input', schemas) });
      }
    }
    for (const header of route.headers ?? []) {
      parameters.push({ name: header.name, in: 'header', required: header.required ?? false, description: header.description, schema: { type: 'string' } });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const contentType = response.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
      const schema = response.schema ?? (Number(status) >= 400 ? problemSchema : undefined);
      responses[status] = {
        description: response.description,
        ...(response.headers && { headers: Object.fromEntries(response.headers.map((h) => [h, { schema: { type: 'string' } }])) }),
        ...(schema && { content: { [contentType]: { schema: jsonSchema(schema, 'output', schemas) } } }),
      };
    }
    if (!route.public) {
      responses['401'] ??= { description: 'Missing or invalid API key', content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output', schemas) } } };
      responses['429'] ??= { description: 'Rate limited', content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output', schemas) } } };
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
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Your API key' } } },
    paths,
  };
}
