/**
 * The MCP types erlmcp's server and client API speak (protocol 2025-11-25; older versions are
 * subsets). Structural, like the specification's schema.ts: plain objects on the wire.
 */

export interface Implementation {
  name: string;
  version: string;
  title?: string;
  websiteUrl?: string;
}

export type LoggingLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/** Severity order of {@link LoggingLevel}s, RFC 5424 (debug lowest). */
export const LOGGING_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

export interface ServerCapabilities {
  experimental?: Record<string, object>;
  logging?: object;
  completions?: object;
  prompts?: { listChanged?: boolean };
  resources?: { subscribe?: boolean; listChanged?: boolean };
  tools?: { listChanged?: boolean };
  /** Extensions the server supports, by id (2026-07-28, SEP-2133), e.g. `io.modelcontextprotocol/tasks`. */
  extensions?: Record<string, object>;
  [key: string]: unknown;
}

export interface ClientCapabilities {
  experimental?: Record<string, object>;
  roots?: { listChanged?: boolean };
  sampling?: object;
  elicitation?: object;
  /** Extensions the client supports, by id (2026-07-28, SEP-2133). */
  extensions?: Record<string, object>;
  [key: string]: unknown;
}

export interface Annotations {
  audience?: ('user' | 'assistant')[];
  priority?: number;
  lastModified?: string;
}

export interface TextContent {
  type: 'text';
  text: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}

export interface ImageContent {
  type: 'image';
  /** base64 */
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}

export interface AudioContent {
  type: 'audio';
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}

export interface TextResourceContents {
  uri: string;
  mimeType?: string;
  text: string;
  _meta?: Record<string, unknown>;
}

export interface BlobResourceContents {
  uri: string;
  mimeType?: string;
  /** base64 */
  blob: string;
  _meta?: Record<string, unknown>;
}

export type ResourceContents = TextResourceContents | BlobResourceContents;

export interface EmbeddedResource {
  type: 'resource';
  resource: ResourceContents;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}

export interface ResourceLink extends Resource {
  type: 'resource_link';
}

export type ContentBlock = TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource;

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** A JSON Schema object (draft 2020-12 unless `$schema` says otherwise). */
export type JsonSchema = Record<string, unknown>;

export interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  annotations?: ToolAnnotations;
  _meta?: Record<string, unknown>;
}

export interface CallToolResult {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export interface Resource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}

export interface ResourceTemplate {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}

export interface ReadResourceResult {
  contents: ResourceContents[];
  _meta?: Record<string, unknown>;
}

export interface PromptArgument {
  name: string;
  title?: string;
  description?: string;
  required?: boolean;
}

export interface Prompt {
  name: string;
  title?: string;
  description?: string;
  arguments?: PromptArgument[];
  _meta?: Record<string, unknown>;
}

export interface PromptMessage {
  role: 'user' | 'assistant';
  content: ContentBlock;
}

export interface GetPromptResult {
  description?: string;
  messages: PromptMessage[];
  _meta?: Record<string, unknown>;
}

export interface CompleteResult {
  completion: { values: string[]; total?: number; hasMore?: boolean };
}

export interface Root {
  uri: string;
  name?: string;
}

export interface SamplingMessage {
  role: 'user' | 'assistant';
  content: TextContent | ImageContent | AudioContent;
}

export interface CreateMessageParams {
  messages: SamplingMessage[];
  maxTokens: number;
  systemPrompt?: string;
  temperature?: number;
  stopSequences?: string[];
  modelPreferences?: Record<string, unknown>;
  includeContext?: 'none' | 'thisServer' | 'allServers';
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CreateMessageResult {
  role: 'user' | 'assistant';
  content: TextContent | ImageContent | AudioContent;
  model: string;
  stopReason?: string;
  [key: string]: unknown;
}

export interface ElicitParams {
  message: string;
  /** A flat object schema of primitive properties (form mode). */
  requestedSchema: JsonSchema;
  mode?: 'form';
  [key: string]: unknown;
}

export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, string | number | boolean | string[]>;
  [key: string]: unknown;
}

export interface InitializeResult {
  protocolVersion: string;
  capabilities: ServerCapabilities;
  serverInfo: Implementation;
  instructions?: string;
}

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

// ---- MCP 2026-07-28 ------------------------------------------------------------------------

/** `resultType` of a 2026-era result: `complete`, `input_required` (MRTR) or `task` (Tasks extension). */
export type ResultType = 'complete' | 'input_required' | 'task';

/** Who may cache a result (SEP-2549): any cache (`public`) or only the same caller (`private`). */
export type CacheScope = 'public' | 'private';

/** Caching hints carried by `server/discover`, the list results and `resources/read` (2026 era). */
export interface CacheHints {
  /** How long the result may be considered fresh, integer milliseconds >= 0. */
  ttlMs: number;
  cacheScope: CacheScope;
}

/** The 2026 request envelope: what `params._meta` says about the client of one request. */
export interface RequestEnvelope {
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo?: Implementation;
  /** When set, log messages at this level and above are sent for the request; none otherwise. */
  logLevel?: LoggingLevel;
}

/** The result of `server/discover`. */
export interface DiscoverResult extends CacheHints {
  resultType: 'complete';
  supportedVersions: string[];
  capabilities: ServerCapabilities;
  instructions?: string;
  _meta?: Record<string, unknown>;
}

/** One server -> client request carried in a result (MRTR): no id, only method and params. */
export interface InputRequest {
  method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
  params: Record<string, unknown>;
}

/** Input requests by server-chosen key. */
export type InputRequests = Record<string, InputRequest>;

/** Answers to input requests, by the same keys (ElicitResult, CreateMessageResult, ListRootsResult). */
export type InputResponses = Record<string, unknown>;

/** A result asking the client for input before the request can complete (SEP-2322). */
export interface InputRequiredResult {
  resultType: 'input_required';
  inputRequests?: InputRequests;
  /** Opaque to the client: echoed back unchanged on the retry. */
  requestState?: string;
  _meta?: Record<string, unknown>;
}

/** What a `subscriptions/listen` asks to hear about. */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
  /** Tasks extension: `notifications/tasks` for these tasks. */
  taskIds?: string[];
}

/** The five task statuses (SEP-2663); `completed`, `failed` and `cancelled` are terminal. */
export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** A task as the Tasks extension puts it on the wire. */
export interface Task {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  lastUpdatedAt: string;
  /** Lifetime from creation in integer milliseconds; null for unlimited. */
  ttlMs: number | null;
  /** Suggested polling interval in integer milliseconds. */
  pollIntervalMs?: number;
}

/** A task with what its status carries: `inputRequests`, `result` or `error`. */
export interface DetailedTask extends Task {
  inputRequests?: InputRequests;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** The answer of a `tools/call` that became a task. */
export interface CreateTaskResult extends Task {
  resultType: 'task';
  _meta?: Record<string, unknown>;
}
