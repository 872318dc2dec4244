// Span attribute names, written once. Standard names follow the OpenTelemetry semantic conventions
// (HTTP: stable; gen_ai.*: the GenAI conventions, which name the provider both ways while they settle).

export const ATTR = {
  httpRequestMethod: 'http.request.method',
  httpResponseStatusCode: 'http.response.status_code',
  httpRoute: 'http.route',
  urlPath: 'url.path',
  urlScheme: 'url.scheme',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  genAiOperationName: 'gen_ai.operation.name',
  genAiSystem: 'gen_ai.system',
  genAiProviderName: 'gen_ai.provider.name',
  genAiRequestModel: 'gen_ai.request.model',
  genAiResponseModel: 'gen_ai.response.model',
  genAiUsageInputTokens: 'gen_ai.usage.input_tokens',
  genAiUsageOutputTokens: 'gen_ai.usage.output_tokens',
  /** Ours: the run a request started or read, so a run's trace can be found by its id. */
  runId: 'chainport.run_id',
  /** Ours: the webhook delivery an HTTP attempt belongs to. */
  deliveryId: 'chainport.delivery_id',
} as const;

/** The instrumentation scope of every span Chainport makes itself (Temporal's interceptors name their own). */
export const TRACER_NAME = 'chainport';
