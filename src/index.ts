/**
 * erlmcp public API. Explicit named exports only: what is not listed here is internal.
 */

export type { Application, ApplicationOptions } from './app/application.js';
export { startApplication } from './app/application.js';
export type { ControlReadings } from './app/control-plane.js';
// ---- configuration, observability, tracing --------------------------------------------------
export type {
  ApiKeyEntry,
  AuthChallenge,
  AuthenticatorJwtOptions,
  AuthenticatorOptions,
  AuthFailure,
  AuthMethod,
  AuthOutcome,
  IntrospectionOptions,
  JwksCacheOptions,
  JwtVerifierOptions,
  Principal,
  PrincipalKeyMode,
  RequestAuthenticator,
  ResourceMetadataOptions,
  TokenCacheOptions,
  VerifiedIdentity,
  VerifyFunction,
} from './auth/index.js';
export { Authenticator, hashApiKey } from './auth/index.js';
export type { ConfigInput, ErlmcpConfig, LoadConfigOptions, RuntimeOptions } from './config/index.js';
export { ConfigError, DEFAULT_CONFIG, loadConfig, runtimeOptions } from './config/index.js';
export type { AdmissionOptions, AdmissionStats, AdmitResult } from './core/admission.js';
export { AdmissionControl } from './core/admission.js';
export type { BreakerOptions, BreakerState, BreakerStats, StateChange, TripPolicy } from './core/breaker.js';
export { CircuitBreaker } from './core/breaker.js';
export type { BucketOptions, BucketsStats } from './core/bucket.js';
export { TokenBucket, TokenBuckets } from './core/bucket.js';
export type { ErrorCode } from './core/errors.js';
export { ErlmcpError, hasErrorCode, MAX_HANDLE } from './core/errors.js';
export type { HistogramOptions, HistogramSnapshot } from './core/histogram.js';
export { LatencyHistogram } from './core/histogram.js';
export { OperationTimings } from './core/op-timings.js';
export type { AcquiredHandle, RegistryOptions, RegistryStats } from './core/registry.js';
export { ShardedRegistry } from './core/registry.js';
export type { PushResult, RingOptions, RingStats } from './core/ring.js';
export { DrainedFrames, RingQueue } from './core/ring.js';
export type { AdmitCodeName, RouterParts, RouterStats } from './core/router.js';
export { AdmitCode, admitCodeName, Router } from './core/router.js';
export { registerDemoToolset } from './demo/toolset.js';
export type { SubscriptionOptions } from './mcp/client/listens.js';
export type {
  ListenHandlers,
  Subscription,
  SubscriptionEnd,
  SubscriptionEndReason,
} from './mcp/client/subscription.js';
export type { TasksOptions, WaitForTaskOptions } from './mcp/client/tasks.js';
export type {
  CacheMode,
  CallOptions,
  ConnectResult,
  ProtocolEra,
  ToolCallStart,
  VersionNegotiation,
} from './mcp/client/types.js';
// ---- MCP protocol ------------------------------------------------------------------------
export type { ElicitationHandler, McpClientOptions, NotificationHandler, SamplingHandler } from './mcp/client.js';
export { McpClient } from './mcp/client.js';
export { RequestContext } from './mcp/context.js';
export type { ServerEvent, ServerEventBus } from './mcp/events/bus.js';
export type { PromptConfig, PromptHandler, RegisteredPrompt } from './mcp/features/prompts.js';
export type {
  Completer,
  ReadResourceHandler,
  ReadTemplateHandler,
  RegisteredResource,
  ResourceConfig,
  ResourceTemplateConfig,
  TemplateVariables,
} from './mcp/features/resources.js';
export type { RegisteredTool, ToolConfig, ToolHandler } from './mcp/features/tools.js';
export type { GateOptions, GateTicket } from './mcp/gate.js';
export { Gate } from './mcp/gate.js';
export type {
  JsonRpcErrorObject,
  JsonRpcErrorResponse,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  JsonRpcResult,
  RequestId,
} from './mcp/jsonrpc.js';
export { ErrorCode as McpErrorCode, isBackpressureCode, McpError } from './mcp/jsonrpc.js';
export type { FloodRule, NotificationStats } from './mcp/notification-drops.js';
export type { OperationDurationsSnapshot } from './mcp/operations.js';
export { OPERATION_BOUNDS_SECONDS, OPERATION_METHODS } from './mcp/operations.js';
export type { RequestOptions } from './mcp/peer.js';
export type { McpServerEvents, McpServerOptions } from './mcp/server.js';
export { McpServer } from './mcp/server.js';
export { ServerContext } from './mcp/server-context.js';
export type { SessionState } from './mcp/session.js';
export { ServerSession } from './mcp/session.js';
export type * from './mcp/types.js';
export { LOGGING_LEVELS } from './mcp/types.js';
export { UriTemplate } from './mcp/uri-template.js';
export {
  LATEST_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSIONS,
  SUPPORTED_PROTOCOL_VERSIONS,
} from './mcp/versions.js';
export type { Observability, ObservabilityOptions } from './ops/endpoints.js';
export { createObservability } from './ops/endpoints.js';
export type { FdLimits } from './ops/fd-limit.js';
export { fdLimits, raiseFdLimit } from './ops/fd-limit.js';
export type { HealthReport, HealthStatus } from './ops/health.js';
export { RestartCounter } from './ops/restarts.js';
export type { RequestSpan, RequestTracer, TracedRequest } from './ops/tracing.js';
export { openTelemetryTracer } from './ops/tracing.js';
export type { ShardSetOptions } from './shards/shard-set.js';
export { QUEUE_FULL, ShardSet } from './shards/shard-set.js';
// ---- shard managers and the application tree -----------------------------------------------
export type { ShardStats } from './shards/slot.js';
// ---- supervision --------------------------------------------------------------------------
export type { Closeable } from './supervision/adapters.js';
export { closeableChild, taskChild } from './supervision/adapters.js';
export type {
  AnyChildSpec,
  Child,
  ChildSpec,
  ChildType,
  ExitReason,
  RestartType,
  ShutdownMs,
} from './supervision/child.js';
export type { SupervisorEvent } from './supervision/events.js';
export { ExitNotifier } from './supervision/exit-notifier.js';
export type { StrategyName } from './supervision/strategies/strategy.js';
export type { ChildCounts, ChildInfo, SupervisorOptions, SupervisorState } from './supervision/supervisor.js';
export { Supervisor, SupervisorShutdownError } from './supervision/supervisor.js';
export type { ClientAuthOption, TokenProvider, TokenRequest } from './transports/client-auth.js';
export type {
  ConnectionCloses,
  ConnectionGuardOptions,
  ConnectionStats,
} from './transports/conn-guard.js';
export { defaultMaxRawConnections } from './transports/conn-guard.js';
export type { StreamableHttpClientOptions } from './transports/http-client.js';
export { HttpStatusError, StreamableHttpClientTransport } from './transports/http-client.js';
export type { StreamableHttpListenerOptions } from './transports/http-server.js';
export { StreamableHttpListener, StreamableHttpServerTransport } from './transports/http-server.js';
// ---- transports ---------------------------------------------------------------------------
export { ConnectionLimiter } from './transports/limiter.js';
export type { Listener, ListenOptions } from './transports/listen.js';
export { listen } from './transports/listen.js';
export { createMemoryTransportPair, MemoryTransport } from './transports/memory.js';
export type { StdioClientOptions, StdioOptions, StdioServerOptions } from './transports/stdio.js';
export { StdioClientTransport, StdioServerTransport } from './transports/stdio.js';
export type { DroppedNotification, MessageExtra, Transport, TransportSendOptions } from './transports/transport.js';
export type { WebSocketClientOptions } from './transports/ws-client.js';
export { WebSocketClientTransport } from './transports/ws-client.js';
export type { WebSocketListenerOptions } from './transports/ws-server.js';
export {
  MCP_SUBPROTOCOL,
  NOTIFICATION_FLOOD_REASON,
  WebSocketListener,
  WebSocketServerTransport,
  WsCloseCode,
} from './transports/ws-server.js';
export type { ReusePortMode } from './workers/listen-target.js';
