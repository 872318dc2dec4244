import type { LoadedDataConverter, Payload } from '@temporalio/common';
import proto, { type temporal } from '@temporalio/proto';
import { z } from 'zod';
import { UnreadableRecordError } from '../errors.js';

// Reading what Temporal stores (history payloads, memos, failures, timestamps) through the client's
// data converter, with the SDK's public converter interfaces only: codecs first (the last one
// configured decodes first), then the payload converter. Values come back `unknown`; callers parse
// them with the zod schema of whoever wrote them (parseRecord).

type Failure = temporal.api.failure.v1.IFailure;
type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null };

/** Every payload of a list, decoded to a value. */
export async function decodePayloads(converter: LoadedDataConverter, payloads: Payload[] | null | undefined): Promise<unknown[]> {
  if (!payloads?.length) return [];
  let decoded = payloads;
  for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return decoded.map((payload) => converter.payloadConverter.fromPayload(payload));
}

/** The first value of a payload list (a workflow's or activity's single argument or result); undefined when empty. */
export async function decodeFirst(converter: LoadedDataConverter, payloads: Payload[] | null | undefined): Promise<unknown> {
  const [first] = await decodePayloads(converter, payloads?.slice(0, 1));
  return first;
}

/** A memo (or any map of payloads) decoded field by field. */
export async function decodeMemo(converter: LoadedDataConverter, fields: Record<string, Payload> | null | undefined): Promise<Record<string, unknown>> {
  const entries = Object.entries(fields ?? {});
  const values = await Promise.all(entries.map(([, payload]) => decodeFirst(converter, [payload])));
  return Object.fromEntries(entries.map(([key], i) => [key, values[i]]));
}

/** The attributes a failure keeps encoded when the converter encodes common attributes. */
const encodedAttributes = z.object({ message: z.string() });

/** A failure's message, also when the data converter encoded it; undefined when there is none. */
export async function failureMessage(converter: LoadedDataConverter, failure: Failure | null | undefined): Promise<string | undefined> {
  if (!failure) return undefined;
  if (failure.encodedAttributes) {
    const attributes = encodedAttributes.safeParse(await decodeFirst(converter, [failure.encodedAttributes]));
    if (attributes.success && attributes.data.message) return attributes.data.message;
  }
  return failure.message || undefined;
}

/** A protobuf Timestamp as epoch milliseconds (0 when absent). */
export function timestampMs(ts: Timestamp | null | undefined): number {
  if (!ts) return 0;
  return Number(ts.seconds?.toString() ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** Milliseconds as a protobuf Duration (its int64 seconds made by protobufjs from a number). */
export function durationFromMs(ms: number): proto.google.protobuf.Duration {
  return proto.google.protobuf.Duration.fromObject({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
}

/**
 * `value` parsed with the schema of whoever wrote it. A value that does not fit (a memo an older or a
 * newer version wrote, say) throws UnreadableRecordError naming `what` and the fields at fault.
 */
export function parseRecord<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new UnreadableRecordError(what, fields);
}
