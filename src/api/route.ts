import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { methodNotAllowedError } from './middleware/allowed-methods.js';
import { ApiError, type ProblemCode } from './problem.js';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  headers?: readonly string[];
  /** A text/event-stream response: each event name and the schema of its JSON `data`. */
  events?: Readonly<Record<string, z.ZodType>>;
  /**
   * Path parameter values this response gives, as OpenAPI runtime expressions (e.g. `run_id` from
   * `$response.body#/run_id`): the document links it to every operation those values address.
   */
  provides?: Readonly<Record<string, string>>;
}

export interface HeaderSpec {
  name: string;
  description: string;
  required?: boolean;
  /** The values the route accepts (documented as the header's schema); any string when absent. */
  schema?: z.ZodType;
}

/**
 * A route declared once: the router mounts it, its schemas validate the request before the handler
 * runs, and the OpenAPI document is generated from the same declaration.
 */
export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'get' | 'post';
  /** Koa-style path, e.g. /api/v1/runs/:run_id */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Public routes (health, docs) need no API key. */
  public?: boolean;
  params?: P;
  /** The code answered when a path parameter fails its schema; it names what was not found. */
  paramsNotFound?: ProblemCode;
  query?: Q;
  body?: B;
  headers?: HeaderSpec[];
  responses: Record<number, ResponseSpec>;
  handler(ctx: Context, input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }): Promise<void>;
}

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  return spec;
}

/**
 * Mounts routes on a router: each reads its body with `readBody` (the one JSON body reader, which
 * passes over methods without a body), then validates params, query and body with its schemas. The
 * body is read here, per route, so only a request that reached a route has its body read: after all
 * the router sits behind (authentication and rate limits for API routes, nothing for public ones),
 * and never for a path or method no route serves.
 */
export function mount(router: Router, routes: readonly RouteSpec[], readBody: Middleware, allowedAt: (path: string) => string): void {
  for (const route of routes) {
    router[route.method](route.path, readBody, async (ctx) => {
      const params = route.params ? route.params.safeParse(ctx.params) : undefined;
      if (params && !params.success) {
        // Another route may serve this path with another method (GET /runs/rerun is not a run; POST is a batch).
        const allow = allowedAt(ctx.path);
        if (allow && !allow.split(', ').includes(ctx.method)) throw methodNotAllowedError(allow);
        throw new ApiError(route.paramsNotFound ?? 'not_found', `Nothing found at ${ctx.path}.`);
      }
      const query = parse(route.query, ctx.query, 'query');
      const body = parse(route.body, ctx.request.body, 'body');
      await route.handler(ctx, { params: params?.data, query, body });
    });
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError('validation_failed', `The request ${where} is not valid.`, {
    // zod reports unknown fields as one issue on the parent object; name each field instead.
    errors: result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: [where, ...issue.path, key].join('.'), message: 'is not a known field' }))
        : [{ path: [where, ...issue.path].join('.'), message: issue.message }],
    ),
  });
}
