import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { McpServer } from '../../src/mcp/server.js';
import { openTelemetryTracer } from '../../src/ops/tracing.js';
import { rawClient } from '../mcp/harness.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

const servers: McpServer[] = [];
afterEach(async () => {
  exporter.reset();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function server(traced: boolean) {
  const s = new McpServer(
    { name: 't', version: '1' },
    traced ? { tracer: openTelemetryTracer(provider.getTracer('erlmcp-test')) } : {},
  );
  s.registerTool('echo', {}, (a: { m?: string }) => ({ content: [{ type: 'text', text: a.m ?? '' }] }));
  servers.push(s);
  return s;
}

describe('request tracing', () => {
  it('one SERVER span per request, named and attributed after the MCP conventions', async () => {
    const c = await rawClient(server(true));
    await c.initialize();
    await c.request(1, 'tools/call', { name: 'echo', arguments: { m: 'x' } });
    await c.request(2, 'tools/call', { name: 'missing', arguments: {} });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['initialize', 'tools/call echo', 'tools/call missing']);
    const [, ok, failed] = spans;
    expect(ok?.kind).toBe(1); // SpanKind.SERVER
    expect(ok?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'jsonrpc.request.id': '1',
      'mcp.session.id': c.session.id,
      'mcp.protocol.version': '2025-11-25',
    });
    expect(ok?.status.code).toBe(0);
    expect(failed?.attributes).toMatchObject({ 'error.type': '-32602', 'rpc.jsonrpc.error_code': -32602 });
    expect(failed?.status.code).toBe(2); // ERROR
  });

  it('continues the trace the client sent in params._meta', async () => {
    const c = await rawClient(server(true));
    await c.initialize();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = trace.setSpanContext(context.active(), {
      traceId,
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    const meta: Record<string, string> = {};
    propagation.inject(parent, meta);
    await c.request(1, 'tools/call', { name: 'echo', arguments: {}, _meta: meta });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'tools/call echo');
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('records nothing without a tracer', async () => {
    const c = await rawClient(server(false));
    await c.initialize();
    await c.request(1, 'ping');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
