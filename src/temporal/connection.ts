import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { temporalAddress, type Config } from '../config.js';
import type { Tracing } from '../telemetry/tracing.js';
import { boundedCalls } from './deadlines.js';

type TlsOption = ConnectionOptions['tls'];

function tlsOption(config: Config): TlsOption {
  const tls = config.temporal.tls;
  if (!tls) return undefined;
  const read = (file: string | undefined) => (file ? readFileSync(file) : undefined);
  const cert = read(tls.certPath);
  const key = read(tls.keyPath);
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: read(tls.caPath),
    clientCertPair: cert && key ? { crt: cert, key } : undefined,
  };
}

/** Options shared by the client and the worker's native connection: address, TLS, API key (Temporal Cloud). */
export function connectionOptions(config: Config): Pick<ConnectionOptions, 'address' | 'tls' | 'apiKey'> {
  return { address: temporalAddress(config), tls: tlsOption(config), apiKey: config.temporal.apiKey };
}

/**
 * Client connection options. Every call has a deadline and transient gRPC failures are retried a few
 * times only, so an API request meets an unreachable or silently hung Temporal with a prompt 503.
 */
export function clientConnectionOptions(config: Config): ConnectionOptions {
  return {
    ...connectionOptions(config),
    connectTimeout: '10s',
    interceptors: [boundedCalls(config.temporal.callTimeoutMs)],
  };
}

/** A client of the configured namespace; with `tracing`, its workflow starts, signals and queries are spans that carry the trace into Temporal. */
export async function connectClient(config: Config, tracing?: Pick<Tracing, 'clientInterceptors'>): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect(clientConnectionOptions(config));
  return { connection, client: new Client({ connection, namespace: config.temporal.namespace, interceptors: tracing?.clientInterceptors }) };
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config) as NativeConnectionOptions);
}
