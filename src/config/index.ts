/**
 * Configuration of `erlmcp serve`: one JSON file plus ERLMCP_* environment variables plus
 * overrides (command-line flags), validated against one key table (docs/config.md).
 */

export { DEFAULT_CONFIG } from './defaults.js';
export { REGENERATE_COMMAND, renderConfigDoc, renderExampleConfig } from './docs.js';
export { ConfigError } from './error.js';
export { envName } from './keys.js';
export type { LoadConfigOptions } from './load.js';
export { loadConfig } from './load.js';
export type { RuntimeOptions } from './runtime.js';
export { runtimeOptions } from './runtime.js';
export type {
  AdmissionConfig,
  BreakerConfig,
  BreakerPolicy,
  BucketConfig,
  ConfigInput,
  DebugConfig,
  ErlmcpConfig,
  HttpConfig,
  LoggingConfig,
  LogLevel,
  MetricsConfig,
  QueueConfig,
  RegistryConfig,
  SectionName,
  ServerConfig,
  ShardsConfig,
  SupervisorConfig,
  TimeoutsConfig,
  TracingConfig,
  WebSocketConfig,
} from './types.js';
