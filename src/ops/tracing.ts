import {
  type Attributes,
  type Context,
  context as contexts,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** One traced request; ended exactly once when the request settles. */
export interface RequestSpan {
  /** `errorCode`: the JSON-RPC error code it was answered with, undefined when it succeeded. */
  end(errorCode: number | undefined): void;
}

/**
 * Starts a span per inbound MCP request. `McpServer` calls it only when a tracer is
 * configured: with none, a request pays one `undefined` check and nothing else.
 */
export interface RequestTracer {
  start(request: TracedRequest): RequestSpan;
}

/** What a tracer learns about a request when it starts. */
export interface TracedRequest {
  method: string;
  params: Record<string, unknown> | undefined;
  requestId: string | number;
  /** The 2025 session's id; undefined for a 2026 (stateless) request. */
  sessionId: string | undefined;
  protocolVersion: string | undefined;
}

/** `_meta` carries W3C trace context (`traceparent`, `tracestate`) from an instrumented client. */
const META_GETTER: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = carrier[key];
    return typeof v === 'string' ? v : undefined;
  },
};

/** The request's target as the OpenTelemetry MCP conventions name spans: `tools/call echo`. */
function target(method: string, params: Record<string, unknown> | undefined): string | undefined {
  if (!params) return undefined;
  if (method === 'tools/call' || method === 'prompts/get')
    return typeof params.name === 'string' ? params.name : undefined;
  if (method.startsWith('resources/')) return typeof params.uri === 'string' ? params.uri : undefined;
  return undefined;
}

/**
 * A {@link RequestTracer} on the OpenTelemetry API: one SERVER span per request named
 * `{mcp.method.name} {target}`, with the MCP semantic-convention attributes, parented on the
 * trace context the client put in `params._meta`, status ERROR plus `error.type` and
 * `rpc.jsonrpc.error_code` when answered with an error. Where spans go is up to the
 * application's OpenTelemetry SDK (register one before serving; without one the API's no-op
 * tracer makes this cost almost nothing). Default tracer: `trace.getTracer(serviceName)`.
 */
export function openTelemetryTracer(tracer: Tracer | string = 'erlmcp'): RequestTracer {
  const t = typeof tracer === 'string' ? trace.getTracer(tracer) : tracer;
  return {
    start(r) {
      const name = target(r.method, r.params);
      const attributes: Attributes = {
        'mcp.method.name': r.method,
        'jsonrpc.request.id': String(r.requestId),
      };
      if (r.sessionId !== undefined) attributes['mcp.session.id'] = r.sessionId;
      if (r.protocolVersion) attributes['mcp.protocol.version'] = r.protocolVersion;
      if (name !== undefined) {
        if (r.method === 'tools/call') attributes['gen_ai.tool.name'] = name;
        else if (r.method === 'prompts/get') attributes['gen_ai.prompt.name'] = name;
        else attributes['mcp.resource.uri'] = name;
      }
      const meta = r.params?._meta;
      const parent: Context =
        meta && typeof meta === 'object'
          ? propagation.extract(ROOT_CONTEXT, meta as Record<string, unknown>, META_GETTER)
          : contexts.active();
      const span: Span = t.startSpan(
        name === undefined ? r.method : `${r.method} ${name}`,
        { kind: SpanKind.SERVER, attributes },
        parent,
      );
      return {
        end(errorCode) {
          if (errorCode !== undefined) {
            span.setAttribute('error.type', String(errorCode));
            span.setAttribute('rpc.jsonrpc.error_code', errorCode);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
    },
  };
}
