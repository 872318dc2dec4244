import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { ATTR } from './attributes.js';

/** Marks a span failed: error.type is the error's name (or `code`, when it carries one), the status message its text. */
export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  span.setAttribute(ATTR.errorType, typeof code === 'string' ? code : error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}
