/**
 * The official SDK v2 client (@modelcontextprotocol/client 2.4.0) against erlmcp, in each of
 * its version-negotiation modes — `{ pin: '2026-07-28' }`, `'auto'` and its default
 * (`'legacy'`, a 2025 `initialize` session) — over Streamable HTTP and stdio:
 *
 * - `erlmcp serve` as users run it (a child process on 127.0.0.1 and a free port, serving both
 *   eras on one endpoint; `erlmcp serve --stdio`), with the demo toolset;
 * - an erlmcp server with test hooks (test/fixtures/erlmcp-interop-server.mjs), in process over
 *   Streamable HTTP and as a stdio process, for what needs the server's side: proof that a
 *   cancelled handler's signal aborted, elicitation, the client's response cache against a
 *   non-zero ttlMs, and subscriptions/listen notifications triggered server-side.
 *
 * Taps on the client's transport (and, in process, on the server's) record every JSON-RPC
 * message, so each test also checks what went over the wire. Waits are bounded polls; nothing
 * asserts how long anything took.
 */
import {
  ResourceNotFoundError,
  SdkError,
  SdkErrorCode,
  StreamableHTTPClientTransport,
  SUBSCRIPTION_ID_META_KEY,
  type Transport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpServer } from '../../src/mcp/server.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import {
  COUNTER_HINTS,
  COUNTER_URI,
  createInteropServer,
  INTEROP_SERVER_INFO,
  LIST_HINTS,
  // @ts-expect-error plain .mjs fixture without types
} from '../fixtures/erlmcp-interop-server.mjs';
import {
  type Asked,
  Children,
  CLI,
  ELICITED_NAME,
  INTEROP_FIXTURE,
  MODES,
  type Mode,
  PACKAGE_VERSION,
  sampled,
  sdkClient,
  VERSION_OF,
  waitFor,
} from './sdk2-harness.js';
import { answeredTwice, isResponse, requestsOf, responsesTo, type Tap, tapServer, tapTransport } from './wire-tap.js';

const children = new Children();
afterAll(() => children.stopAll(), 30_000);
/** Bound of a hook that starts processes (the Children.serve bound is 30 s too); vitest's default is 10 s. */
const SPAWN_MS = 30_000;

type Era = Mode['era'];
/** A JSON-RPC message read loosely: any path in it may be absent. */
interface Json {
  readonly [key: string]: Json | undefined;
}
type Msg = { id?: unknown; method?: string; params?: Json; result?: Json };

const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';
const CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
const DEMO_INFO = { name: 'erlmcp-demo', version: PACKAGE_VERSION };
const CAPS_2025 = {
  logging: {},
  completions: {},
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  tools: { listChanged: true },
};
// The demo's long_job declares task support, so 2026 capabilities name the Tasks extension
// (SEP-2663 defines it for 2026 only: a 2025 initialize result does not).
const CAPS_2026 = { ...CAPS_2025, extensions: { 'io.modelcontextprotocol/tasks': {} } };
const DEMO_TOOLS = ['echo', 'add', 'progress', 'sleep', 'ask_llm', 'long_job'];
const NO_CACHE = { ttlMs: 0, cacheScope: 'private' };

/** What erlmcp puts on every result of the era besides its payload (the SDK strips `resultType`). */
const dressed = (era: Era, info: object) => (era === 'modern' ? { _meta: { [SERVER_INFO_KEY]: info } } : {});
/** ...and on a cacheable result: its cache hints in 2026, nothing in 2025. */
const cacheable = (era: Era, info: object, hints: object) =>
  era === 'modern' ? { ...dressed(era, info), ...hints } : {};
const text = (t: string) => [{ type: 'text' as const, text: t }];
const names = (r: { tools: { name: string }[] }) => r.tools.map((t) => t.name);

interface Connected {
  client: ReturnType<typeof sdkClient>['client'];
  asked: Asked;
  errors: Error[];
  tap: Tap;
}

/** A client in `mode` connected over `transport`, tapped from before its handshake. */
async function connect(mode: Mode, transport: Transport): Promise<Connected> {
  const { client, asked, errors } = sdkClient(mode);
  const tap = tapTransport(transport);
  await client.connect(transport);
  return { client, asked, errors, tap };
}

/** An SDK stdio transport running `args` under this Node, its process stopped after the file whatever happens. */
function stdio(args: string[], env?: Record<string, string>): StdioClientTransport {
  return children.track(
    new StdioClientTransport({
      command: process.execPath,
      args,
      stderr: 'inherit',
      ...(env && { env: { ...(process.env as Record<string, string>), ...env } }),
    }),
  );
}

const count = (tap: Tap, method: string) => requestsOf(tap.sent, method).length;

const cases = (vias: readonly string[]) =>
  vias.flatMap((via) => MODES.map((mode) => [`over ${via}, client ${mode.name}`, via, mode] as const));

// ---- erlmcp serve, the demo toolset ---------------------------------------------------------

describe('erlmcp serve (the demo toolset, both eras on one endpoint)', () => {
  let url = '';
  beforeAll(async () => {
    ({ url } = await children.serve());
  }, SPAWN_MS);
  const transportFor = (via: string): Transport =>
    via === 'stdio'
      ? stdio([CLI, 'serve', '--stdio', '--log-level', 'silent'])
      : new StreamableHTTPClientTransport(new URL(url));

  describe.each(cases(['Streamable HTTP', 'stdio']))('%s', (_label, via, mode) => {
    const era = mode.era;
    const meta = dressed(era, DEMO_INFO);
    let c: Connected;
    beforeAll(async () => {
      c = await connect(mode, transportFor(via));
    }, SPAWN_MS);
    afterAll(async () => {
      await c?.client.close();
    });

    it(`connects in the ${era} era (${VERSION_OF[era]})`, () => {
      expect(c.client.getProtocolEra()).toBe(era);
      expect(c.client.getNegotiatedProtocolVersion()).toBe(VERSION_OF[era]);
      expect(c.client.getServerVersion()).toEqual(DEMO_INFO);
      expect(c.client.getServerCapabilities()).toEqual(era === 'modern' ? CAPS_2026 : CAPS_2025);
      const sent = c.tap.sent as Msg[];
      if (era === 'legacy') {
        expect(sent.map((m) => m.method)).toEqual(['initialize', 'notifications/initialized']);
        expect(sent[0]?.params).toEqual({
          protocolVersion: '2025-11-25',
          capabilities: { sampling: {}, elicitation: {} },
          clientInfo: { name: 'sdk2-interop', version: '2.4.0-test' },
        });
      } else {
        // Over HTTP the SDK probes with server/discover on the connection itself; over stdio it
        // probes in a throwaway sibling process, so the session's own pipe carries no handshake.
        expect(sent.map((m) => m.method)).toEqual(via === 'stdio' ? [] : ['server/discover']);
      }
    });

    it.runIf(era === 'modern')(
      'server/discover: serverInfo, capabilities, supportedVersions, cache hints',
      async () => {
        const expected = {
          resultType: 'complete',
          supportedVersions: ['2026-07-28'],
          capabilities: CAPS_2026,
          ...NO_CACHE,
          _meta: { [SERVER_INFO_KEY]: DEMO_INFO },
        };
        expect(c.client.getDiscoverResult()).toEqual(expected);
        // discover() hands back the lifted result: the SDK strips resultType, as on every result.
        const { resultType: _, ...lifted } = expected;
        expect(await c.client.discover()).toEqual(lifted);
      },
    );

    it.runIf(era === 'legacy')('is a 2025 session: no discover result, and listen is refused by the SDK', async () => {
      expect(c.client.getDiscoverResult()).toBeUndefined();
      await expect(c.client.listen({ toolsListChanged: true })).rejects.toMatchObject({
        code: SdkErrorCode.MethodNotSupportedByProtocolVersion,
      });
    });

    it('lists tools, prompts, resources and templates with the cache hints served', async () => {
      const hints = cacheable(era, DEMO_INFO, NO_CACHE);
      const { tools, ...toolsRest } = await c.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(DEMO_TOOLS);
      expect(toolsRest).toEqual(hints);
      expect(tools[1]).toEqual({
        name: 'add',
        title: 'Add',
        description: 'Adds two numbers; the sum comes back as structured content.',
        inputSchema: {
          type: 'object',
          properties: { a: { type: 'number' }, b: { type: 'number' } },
          required: ['a', 'b'],
        },
        outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      });
      expect(await c.client.listPrompts()).toEqual({
        ...hints,
        prompts: [
          {
            name: 'summarize',
            title: 'Summarize',
            description: 'Asks for a summary of a text in a given style.',
            arguments: [
              { name: 'text', description: 'The text to summarize', required: true },
              { name: 'style', description: 'One of: bullet points, one paragraph, one sentence, haiku' },
            ],
          },
        ],
      });
      const { resources, ...resourcesRest } = await c.client.listResources();
      expect(resourcesRest).toEqual(hints);
      expect(resources.map((r) => [r.uri, r.name, r.mimeType])).toEqual([
        ['erlmcp://demo/clock', 'clock', 'text/plain'],
        ['erlmcp://server/info', 'server-info', 'application/json'],
      ]);
      expect(await c.client.listResourceTemplates()).toEqual({
        ...hints,
        resourceTemplates: [
          {
            name: 'greeting',
            title: 'Greeting',
            uriTemplate: 'erlmcp://greeting/{name}',
            description: 'A greeting for {name}.',
            mimeType: 'text/plain',
          },
        ],
      });
      // ttlMs 0 (2026) and no hint at all (2025) both mean "immediately stale": the SDK's
      // response cache keeps the list (for callTool's output validation) but never serves it.
      const before = count(c.tap, 'tools/list');
      await c.client.listTools();
      expect(count(c.tap, 'tools/list')).toBe(before + 1);
    });

    it('reads resources (each with its own cache hints) and gets a prompt', async () => {
      expect(await c.client.readResource({ uri: 'erlmcp://greeting/Grace' })).toEqual({
        ...cacheable(era, DEMO_INFO, NO_CACHE),
        contents: [{ uri: 'erlmcp://greeting/Grace', mimeType: 'text/plain', text: 'Hello, Grace!' }],
      });
      const { contents, ...clockRest } = await c.client.readResource(
        { uri: 'erlmcp://demo/clock' },
        { cacheMode: 'bypass' },
      );
      expect(clockRest).toEqual(cacheable(era, DEMO_INFO, { ttlMs: 5_000, cacheScope: 'public' }));
      expect(contents).toEqual([
        {
          uri: 'erlmcp://demo/clock',
          mimeType: 'text/plain',
          text: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d[05]\.000Z$/),
        },
      ]);
      expect(await c.client.getPrompt({ name: 'summarize', arguments: { text: 'x', style: 'haiku' } })).toEqual({
        ...meta,
        description: 'Summarize a text',
        messages: [{ role: 'user', content: { type: 'text', text: 'Summarize the following as haiku:\n\nx' } }],
      });
    });

    it('calls echo and add (structuredContent, checked by the SDK against the outputSchema); bad arguments are a tool error', async () => {
      expect(await c.client.callTool({ name: 'echo', arguments: { message: 'interop' } })).toEqual({
        ...meta,
        content: text('interop'),
      });
      expect(await c.client.callTool({ name: 'add', arguments: { a: 40, b: 2 } })).toEqual({
        ...meta,
        content: text('42'),
        structuredContent: { sum: 42 },
      });
      expect(await c.client.callTool({ name: 'echo', arguments: { message: 42 } })).toEqual({
        ...meta,
        content: text('Invalid arguments for tool echo: arguments/message must be string'),
        isError: true,
      });
    });

    it('sends every progress notification before the result; onprogress sees them (all of them over HTTP)', async () => {
      const seen: unknown[] = [];
      const r = await c.client.callTool(
        { name: 'progress', arguments: { steps: 3, delayMs: 1 } },
        { onprogress: (p) => seen.push(p) },
      );
      expect(r).toEqual({ ...meta, content: text('completed 3 steps') });
      const call = requestsOf(c.tap.sent, 'tools/call', 'progress')[0] as Msg;
      const token = call.params?._meta?.progressToken;
      expect(token).toBe(call.id);
      const steps = [1, 2, 3].map((i) => ({ progress: i, total: 3, message: `step ${i} of 3` }));
      const wire = (c.tap.received as Msg[]).filter(
        (m) => (m.method === 'notifications/progress' && m.params?.progressToken === token) || m.id === call.id,
      );
      expect(wire.map((m) => (m.method === undefined ? 'result' : m.params))).toEqual([
        ...steps.map((s) => ({ progressToken: token, ...s })),
        'result',
      ]);
      if (via === 'stdio') {
        // SDK 2.4.0 (not erlmcp): Protocol runs notification handlers a microtask after
        // dispatch but response handlers at once, so progress that arrives in the same stdio
        // read as the result is dropped ("unknown token") although it came first on the pipe.
        const dropped = c.errors.filter((e) => e.message.includes(`"progressToken":${token}`));
        expect(seen).toEqual(steps.slice(0, seen.length));
        expect(dropped).toHaveLength(3 - seen.length);
      } else {
        expect(seen).toEqual(steps);
      }
    });

    it('cancels sleep through an AbortSignal: closes the stream on 2026 HTTP, sends notifications/cancelled otherwise', async () => {
      const ac = new AbortController();
      const call = c.client.callTool({ name: 'sleep', arguments: { ms: 60_000 } }, { signal: ac.signal });
      await waitFor('the sleep request to go out', () => requestsOf(c.tap.sent, 'tools/call', 'sleep').length === 1);
      ac.abort('stop');
      const err = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SdkError);
      expect(err).toMatchObject({ code: SdkErrorCode.RequestTimeout, message: 'stop' });
      const sleep = requestsOf(c.tap.sent, 'tools/call', 'sleep')[0] as Msg;
      const cancels = (c.tap.sent as Msg[]).filter((m) => m.method === 'notifications/cancelled');
      const streamCloseCancels = era === 'modern' && via === 'Streamable HTTP';
      expect(cancels.map((m) => [m.params?.requestId, m.params?.reason])).toEqual(
        streamCloseCancels ? [] : [[sleep.id, 'stop']],
      );
      expect(await c.client.callTool({ name: 'echo', arguments: { message: 'after' } })).toEqual({
        ...meta,
        content: text('after'),
      });
    });

    it(`ask_llm: the client's sampling handler answers (${era === 'modern' ? 'an MRTR input_required round' : 'a real sampling/createMessage request'})`, async () => {
      const question = 'Is it raining?';
      const r = await c.client.callTool({ name: 'ask_llm', arguments: { question } });
      expect(r).toEqual({ ...meta, content: text(sampled(question)) });
      const asked = { messages: [{ role: 'user', content: { type: 'text', text: question } }], maxTokens: 200 };
      const answer = { role: 'assistant', model: 'fake-model', content: { type: 'text', text: sampled(question) } };
      expect(c.asked.sampling).toEqual([asked]);
      const calls = requestsOf(c.tap.sent, 'tools/call', 'ask_llm');
      if (era === 'modern') {
        const [first, retry] = calls;
        expect(calls).toHaveLength(2);
        const round = responsesTo(c.tap.received, first?.id)[0] as Msg;
        expect(round.result).toEqual({
          resultType: 'input_required',
          inputRequests: { answer: { method: 'sampling/createMessage', params: asked } },
          requestState: expect.any(String),
          _meta: { [SERVER_INFO_KEY]: DEMO_INFO },
        });
        expect(retry?.id).not.toBe(first?.id);
        expect(retry?.params).toMatchObject({
          name: 'ask_llm',
          arguments: { question },
          inputResponses: { answer },
          requestState: round.result?.requestState,
        });
        expect(requestsOf(c.tap.received, 'sampling/createMessage')).toEqual([]);
      } else {
        expect(calls).toHaveLength(1);
        const requests = requestsOf(c.tap.received, 'sampling/createMessage');
        expect(requests.map((m) => m.params)).toEqual([asked]);
        expect(responsesTo(c.tap.sent, requests[0]?.id).map((m) => m.result)).toEqual([answer]);
      }
    });

    it('long_job: a plain result, as the SDK v2 client does not declare the Tasks extension', async () => {
      expect(await c.client.callTool({ name: 'long_job', arguments: { steps: 2, stepMs: 1 } })).toEqual({
        ...meta,
        content: text('finished 2 steps'),
        structuredContent: { steps: 2 },
      });
      const call = requestsOf(c.tap.sent, 'tools/call', 'long_job')[0] as Msg;
      expect(call.params?._meta?.[CAPABILITIES_KEY]).toEqual(
        era === 'modern' ? { sampling: {}, elicitation: {} } : undefined,
      );
      const answer = responsesTo(c.tap.received, call.id)[0] as Msg;
      expect(answer.result?.resultType).toBe(era === 'modern' ? 'complete' : undefined);
    });

    it(`completes template and prompt arguments; ping ${era === 'modern' ? 'is refused by the SDK (2026 has no ping)' : 'answers {}'}`, async () => {
      expect(
        await c.client.complete({
          ref: { type: 'ref/resource', uri: 'erlmcp://greeting/{name}' },
          argument: { name: 'name', value: 'A' },
        }),
      ).toEqual({ ...meta, completion: { values: ['Ada', 'Alan'], total: 2, hasMore: false } });
      expect(
        await c.client.complete({
          ref: { type: 'ref/prompt', name: 'summarize' },
          argument: { name: 'style', value: 'one' },
        }),
      ).toEqual({ ...meta, completion: { values: ['one paragraph', 'one sentence'], total: 2, hasMore: false } });
      if (era === 'modern') {
        await expect(c.client.ping()).rejects.toMatchObject({ code: SdkErrorCode.MethodNotSupportedByProtocolVersion });
        expect(requestsOf(c.tap.sent, 'ping')).toEqual([]);
      } else {
        expect(await c.client.ping()).toEqual({});
      }
    });

    it('reports errors as erlmcp spells them: unknown tool -32602; missing resource -32602 (2026) or -32002 (2025), a ResourceNotFoundError either way', async () => {
      await expect(c.client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({
        code: -32602,
        message: 'Unknown tool: nope',
        data: { name: 'nope' },
      });
      const err = await c.client.readResource({ uri: 'erlmcp://nope' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ResourceNotFoundError);
      expect(err).toMatchObject({ code: -32602, data: { uri: 'erlmcp://nope' } });
      const read = requestsOf(c.tap.sent, 'resources/read').at(-1);
      expect(responsesTo(c.tap.received, read?.id).map((m) => (m as { error?: unknown }).error)).toEqual([
        {
          code: era === 'modern' ? -32602 : -32002,
          message: 'Resource not found: erlmcp://nope',
          data: { uri: 'erlmcp://nope' },
        },
      ]);
    });

    it('answered no request twice and never answered the cancelled one', () => {
      expect(answeredTwice(c.tap, 'received')).toEqual([]);
      const sleep = requestsOf(c.tap.sent, 'tools/call', 'sleep')[0] as Msg;
      expect(responsesTo(c.tap.received, sleep.id)).toEqual([]);
      expect(c.errors.filter((e) => e.message.includes('unknown message ID'))).toEqual([]);
    });
  });

  describe.each(['Streamable HTTP', 'stdio'] as const)(
    'with a non-zero cacheTtlMs (ERLMCP_MCP_CACHE_*), over %s',
    (via) => {
      const env = { ERLMCP_MCP_CACHE_TTL_MS: '3600000', ERLMCP_MCP_CACHE_SCOPE: 'public' };
      const hints = { ttlMs: 3_600_000, cacheScope: 'public' };
      let c: Connected;
      beforeAll(async () => {
        const transport =
          via === 'stdio'
            ? stdio([CLI, 'serve', '--stdio', '--log-level', 'silent'], env)
            : new StreamableHTTPClientTransport(new URL((await children.serve(env)).url));
        c = await connect(MODES[0] as Mode, transport);
      }, SPAWN_MS);
      afterAll(async () => {
        await c?.client.close();
      });

      it('the client serves tools/list and prompts/list from its response cache until asked to refresh', async () => {
        expect(c.client.getDiscoverResult()).toMatchObject(hints);
        const tools = await c.client.listTools();
        expect({ ttlMs: tools.ttlMs, cacheScope: tools.cacheScope }).toEqual(hints);
        const prompts = await c.client.listPrompts();
        expect({ ttlMs: prompts.ttlMs, cacheScope: prompts.cacheScope }).toEqual(hints);
        expect([count(c.tap, 'tools/list'), count(c.tap, 'prompts/list')]).toEqual([1, 1]);
        expect(await c.client.listTools()).toEqual(tools);
        expect(await c.client.listPrompts()).toEqual(prompts);
        expect([count(c.tap, 'tools/list'), count(c.tap, 'prompts/list')]).toEqual([1, 1]);
        expect(names(await c.client.listTools(undefined, { cacheMode: 'refresh' }))).toEqual(DEMO_TOOLS);
        expect(count(c.tap, 'tools/list')).toBe(2);
      });
    },
  );
});

// ---- an erlmcp server with test hooks ---------------------------------------------------------

/** How a test changes the server: directly in process, through the fixture's tools over stdio. */
interface Hooks {
  addTool(name: string): Promise<void>;
  bumpCounter(): Promise<void>;
}

describe.each(cases(['in-process Streamable HTTP', 'stdio']))(
  'an erlmcp server with test hooks, %s',
  (_label, via, mode) => {
    const era = mode.era;
    const meta = dressed(era, INTEROP_SERVER_INFO);
    const baseTools = ['wait', 'record', 'ask_name', 'regional', 'add_tool', 'bump'];
    const added: string[] = [];
    let c: Connected;
    let hooks: Hooks;
    let serverTap: Tap | undefined;
    let listener: Listener | undefined;
    let server: McpServer | undefined;
    /** The routing headers and status of each POST (in process, over HTTP). */
    const posts: { method: string | null; name: string | null; region: string | null; status: number }[] = [];

    beforeAll(async () => {
      let transport: Transport;
      if (via === 'stdio') {
        transport = stdio([INTEROP_FIXTURE]);
        hooks = {
          addTool: async (name) => {
            await c.client.callTool({ name: 'add_tool', arguments: { name } });
          },
          bumpCounter: async () => {
            await c.client.callTool({ name: 'bump', arguments: {} });
          },
        };
      } else {
        const own = createInteropServer(McpServer) as { server: McpServer; record: { counter: number } };
        server = own.server;
        serverTap = tapServer(server);
        listener = await listen(server, { host: '127.0.0.1', port: 0, websocket: false });
        transport = new StreamableHTTPClientTransport(new URL(listener.url), {
          fetch: async (input, init) => {
            const h = new Headers(init?.headers);
            const r = await fetch(input, init);
            if (init?.method === 'POST') {
              const [method, name, region] = ['mcp-method', 'mcp-name', 'mcp-param-region'].map((k) => h.get(k));
              posts.push({ method: method ?? null, name: name ?? null, region: region ?? null, status: r.status });
            }
            return r;
          },
        });
        hooks = {
          addTool: async (name) => {
            own.server.registerTool(name, { inputSchema: { type: 'object' } }, () => ({ content: text(name) }));
          },
          bumpCounter: async () => {
            own.record.counter++;
            own.server.notifyResourceUpdated(COUNTER_URI);
          },
        };
      }
      c = await connect(mode, transport);
    }, SPAWN_MS);
    afterAll(async () => {
      await c?.client.close();
      await listener?.close();
      await server?.close();
    });

    /** What the server saw, from its `record` tool. */
    const record = async () =>
      (await c.client.callTool({ name: 'record', arguments: {} })).structuredContent as {
        started: string[];
        aborted: { tag: string; reason: string }[];
        subscriptions: number;
      };

    it(`calls a tool with an x-mcp-header parameter (${via !== 'stdio' && era === 'modern' ? 'mirrored into Mcp-Param-Region' : 'no header to mirror'})`, async () => {
      // First thing on this connection: the client has no tools/list cached yet.
      for (const region of ['eu-west', 'Zürich']) {
        expect(await c.client.callTool({ name: 'regional', arguments: { region } })).toEqual({
          ...meta,
          content: text(`served in ${region}`),
        });
      }
      if (via === 'stdio' || era === 'legacy') {
        // No header layer (stdio), or no SEP-2243 at all (2025): the calls go out as they are.
        expect(requestsOf(c.tap.sent, 'tools/call', 'regional')).toHaveLength(2);
        expect(count(c.tap, 'tools/list')).toBe(0);
        return;
      }
      // Not knowing the tool yet, the SDK sends no header; erlmcp refuses the call (HTTP 400,
      // -32020); the SDK fetches tools/list and retries with the header, base64 for non-ASCII.
      expect(posts.filter((p) => p.method === 'tools/call' || p.method === 'tools/list')).toEqual([
        { method: 'tools/call', name: 'regional', region: null, status: 400 },
        { method: 'tools/list', name: null, region: null, status: 200 },
        { method: 'tools/call', name: 'regional', region: 'eu-west', status: 200 },
        {
          method: 'tools/call',
          name: 'regional',
          region: `=?base64?${Buffer.from('Zürich').toString('base64')}?=`,
          status: 200,
        },
      ]);
      const refusals = ((serverTap?.sent ?? []) as { error?: unknown }[]).filter((m) => m.error !== undefined);
      expect(refusals.map((m) => m.error)).toEqual([
        { code: -32020, message: 'Header mismatch: the Mcp-Param-Region header is required (arguments.region is set)' },
      ]);
    });

    it("cancelling callTool aborts the handler's signal, and the cancelled request is never answered", async () => {
      const ac = new AbortController();
      const call = c.client.callTool({ name: 'wait', arguments: { tag: 'first' } }, { signal: ac.signal });
      await waitFor('the wait handler to start', async () => (await record()).started.includes('first'));
      ac.abort('stop');
      await expect(call).rejects.toMatchObject({ code: SdkErrorCode.RequestTimeout, message: 'stop' });
      // On 2026 HTTP the server learns of it from the stream closing; elsewhere from
      // notifications/cancelled, whose reason the SDK fills with the abort reason.
      const reason = era === 'modern' && via !== 'stdio' ? 'the client closed the stream' : 'stop';
      await waitFor('the handler to see the abort', async () => (await record()).aborted.length === 1);
      expect((await record()).aborted).toEqual([{ tag: 'first', reason }]);
      // The handler then resolved with a result: erlmcp must drop it.
      const sent = requestsOf(c.tap.sent, 'tools/call', 'wait')[0] as Msg;
      expect(responsesTo(c.tap.received, sent.id)).toEqual([]);
      if (serverTap !== undefined) {
        // What the server itself received (with the id its transport gave it) and sent back.
        const got = serverTap.log.find(
          (e) => e.dir === 'received' && (e.message as { params?: { name?: unknown } }).params?.name === 'wait',
        );
        if (got === undefined) throw new Error('the server never received the wait request');
        const id = (got.message as Msg).id;
        const answers = serverTap.log.filter(
          (e) => e.dir === 'sent' && e.t === got.t && isResponse(e.message) && (e.message as Msg).id === id,
        );
        expect(answers).toEqual([]);
      }
    });

    it(`elicitation: the client's handler answers (${era === 'modern' ? 'an MRTR round' : 'a real elicitation/create request'})`, async () => {
      const r = await c.client.callTool({ name: 'ask_name', arguments: {} });
      expect(r).toEqual({ ...meta, content: text(`Hello, ${ELICITED_NAME}!`) });
      const params = {
        mode: 'form',
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      };
      const answer = { action: 'accept', content: { name: ELICITED_NAME } };
      expect(c.asked.elicitation).toEqual([params]);
      const calls = requestsOf(c.tap.sent, 'tools/call', 'ask_name');
      if (era === 'modern') {
        expect(calls).toHaveLength(2);
        const round = responsesTo(c.tap.received, calls[0]?.id)[0] as Msg;
        expect(round.result).toEqual({
          resultType: 'input_required',
          inputRequests: { name: { method: 'elicitation/create', params } },
          requestState: expect.any(String),
          _meta: { [SERVER_INFO_KEY]: INTEROP_SERVER_INFO },
        });
        expect(calls[1]?.params).toMatchObject({
          inputResponses: { name: answer },
          requestState: round.result?.requestState,
        });
      } else {
        expect(calls).toHaveLength(1);
        const requests = requestsOf(c.tap.received, 'elicitation/create');
        expect(requests.map((m) => m.params)).toEqual([params]);
        expect(responsesTo(c.tap.sent, requests[0]?.id).map((m) => m.result)).toEqual([answer]);
      }
    });

    it(
      era === 'modern'
        ? "the client's response cache honours the ttlMs served, until refreshed"
        : 'without cache hints (2025) the client never serves a list or read from its cache',
      async () => {
        const first = await c.client.listTools();
        expect(names(first)).toEqual([...baseTools, ...added]);
        expect({ ttlMs: first.ttlMs, cacheScope: first.cacheScope }).toEqual(era === 'modern' ? LIST_HINTS : {});
        const counter = await c.client.readResource({ uri: COUNTER_URI });
        expect(counter).toEqual({
          ...cacheable(era, INTEROP_SERVER_INFO, COUNTER_HINTS),
          contents: [{ uri: COUNTER_URI, mimeType: 'text/plain', text: 'counter 0' }],
        });
        const lists = count(c.tap, 'tools/list');
        const reads = count(c.tap, 'resources/read');
        // Changed server-side with no listen open: a 2026 client hears nothing of it.
        await hooks.addTool('unannounced');
        added.push('unannounced');
        await hooks.bumpCounter();
        if (era === 'modern') {
          expect(await c.client.listTools()).toEqual(first);
          expect(await c.client.readResource({ uri: COUNTER_URI })).toEqual(counter);
          expect([count(c.tap, 'tools/list'), count(c.tap, 'resources/read')]).toEqual([lists, reads]);
        }
        expect(names(await c.client.listTools(undefined, { cacheMode: 'refresh' }))).toEqual([...baseTools, ...added]);
        expect((await c.client.readResource({ uri: COUNTER_URI }, { cacheMode: 'refresh' })).contents).toEqual([
          { uri: COUNTER_URI, mimeType: 'text/plain', text: 'counter 1' },
        ]);
        expect([count(c.tap, 'tools/list'), count(c.tap, 'resources/read')]).toEqual([lists + 1, reads + 1]);
      },
    );

    it(
      era === 'modern'
        ? 'listen: tools/list_changed after a tool is registered, resources/updated after notifyResourceUpdated; each evicts the cached result'
        : 'a 2025 session hears tools/list_changed and (after resources/subscribe) resources/updated unsolicited',
      async () => {
        const heard: unknown[] = [];
        c.client.setNotificationHandler('notifications/tools/list_changed', (n) => {
          heard.push(n);
        });
        c.client.setNotificationHandler('notifications/resources/updated', (n) => {
          heard.push(n);
        });
        const tag: Record<string, unknown> = {};
        let subscription: Awaited<ReturnType<typeof c.client.listen>> | undefined;
        if (era === 'modern') {
          subscription = await c.client.listen({ toolsListChanged: true, resourceSubscriptions: [COUNTER_URI] });
          const notifications = { toolsListChanged: true, resourceSubscriptions: [COUNTER_URI] };
          expect(subscription.honoredFilter).toEqual(notifications);
          const listenId = requestsOf(c.tap.sent, 'subscriptions/listen')[0]?.id;
          expect(listenId).toBe('listen:0');
          tag._meta = { [SUBSCRIPTION_ID_META_KEY]: listenId };
          expect(
            (c.tap.received as Msg[]).filter((m) => m.method === 'notifications/subscriptions/acknowledged'),
          ).toEqual([
            { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications, ...tag } },
          ]);
        } else {
          expect(await c.client.subscribeResource({ uri: COUNTER_URI })).toEqual({});
        }
        // Warm the caches (a no-op for 2025, whose results carry no ttlMs).
        await c.client.listTools();
        await c.client.readResource({ uri: COUNTER_URI });
        const [lists, reads] = [count(c.tap, 'tools/list'), count(c.tap, 'resources/read')];

        await hooks.addTool('announced');
        added.push('announced');
        await waitFor('notifications/tools/list_changed', () => heard.length >= 1);
        expect(heard).toEqual([
          { method: 'notifications/tools/list_changed', ...(era === 'modern' && { params: tag }) },
        ]);
        await hooks.bumpCounter();
        await waitFor('notifications/resources/updated', () => heard.length >= 2);
        expect(heard[1]).toEqual({ method: 'notifications/resources/updated', params: { uri: COUNTER_URI, ...tag } });

        // The notifications made the cached entries stale: both go to the server again.
        expect(names(await c.client.listTools())).toEqual([...baseTools, ...added]);
        expect((await c.client.readResource({ uri: COUNTER_URI })).contents).toEqual([
          { uri: COUNTER_URI, mimeType: 'text/plain', text: 'counter 2' },
        ]);
        expect([count(c.tap, 'tools/list'), count(c.tap, 'resources/read')]).toEqual([lists + 1, reads + 1]);

        if (subscription !== undefined) {
          await subscription.close();
          expect(await subscription.closed).toBe('local');
          await waitFor('the server to drop the subscription', async () => (await record()).subscriptions === 0);
        }
        expect(heard).toHaveLength(2);
      },
    );

    it.runIf(era === 'modern' && via !== 'stdio')(
      'a graceful shutdown ends an open listen with its completion result (the SDK reports closed: graceful)',
      async () => {
        const subscription = await c.client.listen({ toolsListChanged: true });
        const listenId = requestsOf(c.tap.sent, 'subscriptions/listen').at(-1)?.id;
        await server?.shutdown(5_000);
        expect(await subscription.closed).toBe('graceful');
        expect(responsesTo(c.tap.received, listenId).map((m) => (m as { result?: unknown }).result)).toEqual([
          {
            resultType: 'complete',
            _meta: { [SUBSCRIPTION_ID_META_KEY]: listenId, [SERVER_INFO_KEY]: INTEROP_SERVER_INFO },
          },
        ]);
      },
    );

    it('answered no request twice (seen from both ends)', () => {
      expect(answeredTwice(c.tap, 'received')).toEqual([]);
      if (serverTap !== undefined) expect(answeredTwice(serverTap, 'sent')).toEqual([]);
      expect(c.errors.filter((e) => e.message.includes('unknown message ID'))).toEqual([]);
    });
  },
);

describe.each(cases(['in-process Streamable HTTP', 'stdio']))(
  'ClientOptions.listChanged against an erlmcp server, %s',
  (_label, via, mode) => {
    it(`onChanged gets the refreshed tool list (${mode.era === 'modern' ? 'through the listen the SDK opens at connect' : 'after the unsolicited notification'})`, async () => {
      const changes: (string[] | string)[] = [];
      const { client } = sdkClient(mode, {
        listChanged: {
          tools: { onChanged: (err, tools) => changes.push(err ? String(err) : (tools ?? []).map((t) => t.name)) },
        },
      });
      let server: McpServer | undefined;
      let listener: Listener | undefined;
      try {
        let transport: Transport;
        if (via === 'stdio') {
          transport = stdio([INTEROP_FIXTURE]);
        } else {
          server = (createInteropServer(McpServer) as { server: McpServer }).server;
          listener = await listen(server, { host: '127.0.0.1', port: 0, websocket: false });
          transport = new StreamableHTTPClientTransport(new URL(listener.url));
        }
        await client.connect(transport);
        expect(client.autoOpenedSubscription?.honoredFilter).toEqual(
          mode.era === 'modern' ? { toolsListChanged: true } : undefined,
        );
        if (server !== undefined) {
          server.registerTool('late', { inputSchema: { type: 'object' } }, () => ({ content: text('late') }));
        } else {
          await client.callTool({ name: 'add_tool', arguments: { name: 'late' } });
        }
        await waitFor('onChanged', () => changes.length >= 1);
        expect(changes).toEqual([['wait', 'record', 'ask_name', 'regional', 'add_tool', 'bump', 'late']]);
      } finally {
        await client.close();
        await listener?.close();
        await server?.close();
      }
    });
  },
);
