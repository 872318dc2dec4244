import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

export type History = proto.temporal.api.history.v1.IHistory;

// Workflow histories as proto3 JSON, the form `temporal workflow show --output json` and the Temporal
// UI produce, and what `historyToJSON` / `historyFromJSON` in @temporalio/common/lib/proto-utils
// write and read.
//
// We do not call those two: they fail with "type must be a Type" in this install. @temporalio/common
// and @temporalio/proto each get their own nested copy of protobufjs 8 (the hoisted one is 7.x, for
// @grpc/proto-loader), and proto-utils checks common's `Type` class against types built by proto's
// copy. Worker.runReplayHistory calls historyFromJSON on JSON input too, so the replay test hands it
// decoded History objects. The same conversion, done with the protobufjs copy @temporalio/proto
// itself loads, works whatever the layout.

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const requireFromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = requireFromProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

/** A history as indented proto3 JSON text. */
export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/** Reads back what historyToJSON wrote (or a history exported with the Temporal CLI or UI). */
export function historyFromJSON(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
