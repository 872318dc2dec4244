import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR, TRACER_NAME } from './attributes.js';
import { failSpan } from './fail-span.js';

/** What an outgoing request ended with: the status the server answered, if any, and why it failed, if it did. */
export interface HttpOutcome {
  statusCode: number | null;
  error: string | null;
}

/**
 * Runs one outgoing HTTP request inside a client span named by its method. Only the scheme, host and
 * port of `url` are recorded: a path or query can carry a partner's token. A request that got no
 * answer or a non-2xx one ends the span failed (error.type: the status code, or `connection_error`).
 */
export async function withHttpClientSpan<T extends HttpOutcome>(method: string, url: URL, attributes: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const scheme = url.protocol.replace(/:$/, '');
  return trace.getTracer(TRACER_NAME).startActiveSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...attributes,
        [ATTR.httpRequestMethod]: method,
        [ATTR.urlScheme]: scheme,
        [ATTR.serverAddress]: url.hostname,
        [ATTR.serverPort]: Number(url.port || (scheme === 'https' ? 443 : 80)),
      },
    },
    async (span) => {
      try {
        const outcome = await fn();
        if (outcome.statusCode !== null) span.setAttribute(ATTR.httpResponseStatusCode, outcome.statusCode);
        if (outcome.error !== null) {
          span.setAttribute(ATTR.errorType, outcome.statusCode === null ? 'connection_error' : String(outcome.statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
        }
        return outcome;
      } catch (err) {
        failSpan(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
