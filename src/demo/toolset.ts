import { ErrorCode, McpError } from '../mcp/jsonrpc.js';
import type { McpServer } from '../mcp/server.js';
import type { ServerContext } from '../mcp/server-context.js';

const STYLES = ['bullet points', 'one paragraph', 'one sentence', 'haiku'];

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What {@link registerDemoToolset} started: the ticking clock resource. */
export interface DemoToolset {
  /** Stops the clock resource's timer. */
  stop(): void;
}

/** How often the clock resource changes (and its listeners hear of it). */
const CLOCK_MS = 5_000;

/**
 * The demo toolset `erlmcp serve` runs: one of each kind of thing MCP offers, small enough
 * to read in a minute, the same in both protocol eras. Tools: echo, add (structured output),
 * progress, sleep (cancellable), ask_llm (sampling: a real request in a 2025 session, an
 * input_required round in 2026), long_job (runs as a task for clients that declare the Tasks
 * extension; progress shows in its statusMessage; cancellable). Resources: server info, a clock
 * that changes every 5 s (subscribe to it with subscriptions/listen or resources/subscribe), a
 * template with completion; a prompt.
 */
export function registerDemoToolset(server: McpServer): DemoToolset {
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns its message unchanged.',
      inputSchema: {
        type: 'object',
        properties: { message: { type: 'string', description: 'Text to echo' } },
        required: ['message'],
        additionalProperties: false,
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args: { message: string }) => ({ content: [{ type: 'text', text: args.message }] }),
  );

  server.registerTool(
    'add',
    {
      title: 'Add',
      description: 'Adds two numbers; the sum comes back as structured content.',
      inputSchema: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
      },
      outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args: { a: number; b: number }) => {
      const sum = args.a + args.b;
      return { content: [{ type: 'text', text: String(sum) }], structuredContent: { sum } };
    },
  );

  server.registerTool(
    'progress',
    {
      title: 'Progress',
      description: 'Counts to `steps`, reporting progress after each step (needs a progressToken to see it).',
      inputSchema: {
        type: 'object',
        properties: {
          steps: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
          delayMs: { type: 'integer', minimum: 0, maximum: 1000, default: 50 },
        },
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args: { steps?: number; delayMs?: number }, ctx: ServerContext) => {
      const steps = args.steps ?? 5;
      const delayMs = args.delayMs ?? 50;
      for (let i = 1; i <= steps; i++) {
        await sleep(delayMs, ctx.signal);
        await ctx.progress(i, steps, `step ${i} of ${steps}`);
      }
      return { content: [{ type: 'text', text: `completed ${steps} steps` }] };
    },
  );

  server.registerTool(
    'sleep',
    {
      title: 'Sleep',
      description:
        'Waits `ms` milliseconds; cancel the request (notifications/cancelled, or close its HTTP stream in MCP 2026-07-28) and it stops at once.',
      inputSchema: {
        type: 'object',
        properties: { ms: { type: 'integer', minimum: 0, maximum: 600_000 } },
        required: ['ms'],
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args: { ms: number }, ctx: ServerContext) => {
      await sleep(args.ms, ctx.signal);
      return { content: [{ type: 'text', text: `slept ${args.ms} ms` }] };
    },
  );

  server.registerTool(
    'ask_llm',
    {
      title: 'Ask the client LLM',
      description: "Asks the client's model a question through sampling/createMessage and returns its answer.",
      inputSchema: {
        type: 'object',
        properties: { question: { type: 'string' }, maxTokens: { type: 'integer', minimum: 1, default: 200 } },
        required: ['question'],
      },
      annotations: { openWorldHint: true },
    },
    async (args: { question: string; maxTokens?: number }, ctx: ServerContext) => {
      if (!ctx.clientCapabilities.sampling) {
        return { content: [{ type: 'text', text: 'this client does not support sampling' }], isError: true };
      }
      const answer = await ctx.sample(
        {
          messages: [{ role: 'user', content: { type: 'text', text: args.question } }],
          maxTokens: args.maxTokens ?? 200,
        },
        { key: 'answer' },
      );
      const text = answer.content.type === 'text' ? answer.content.text : `[${answer.content.type} content]`;
      return { content: [{ type: 'text', text }] };
    },
  );

  server.registerTool(
    'long_job',
    {
      title: 'Long job',
      description:
        'Works through `steps` steps of `stepMs` each. For clients that declare the Tasks extension it runs as a task (poll tasks/get; progress is its statusMessage; tasks/cancel stops it); others get the result at the end.',
      inputSchema: {
        type: 'object',
        properties: {
          steps: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
          stepMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 500 },
        },
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
      task: { support: 'optional', pollIntervalMs: 500 },
    },
    async (args: { steps?: number; stepMs?: number }, ctx: ServerContext) => {
      const steps = args.steps ?? 10;
      const stepMs = args.stepMs ?? 500;
      for (let i = 1; i <= steps; i++) {
        await sleep(stepMs, ctx.signal);
        await ctx.progress(i, steps, `step ${i} of ${steps}`);
      }
      return { content: [{ type: 'text', text: `finished ${steps} steps` }], structuredContent: { steps } };
    },
  );

  server.registerResource(
    'clock',
    'erlmcp://demo/clock',
    {
      title: 'Clock',
      description: `The server's time, changing every ${CLOCK_MS / 1000} s: subscribe to hear of each change.`,
      mimeType: 'text/plain',
      cache: { ttlMs: CLOCK_MS, cacheScope: 'public' },
    },
    (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: new Date(tick * CLOCK_MS).toISOString() }] }),
  );
  let tick = Math.floor(Date.now() / CLOCK_MS);
  // Every copy of the server (each worker, each node) changes the clock at the same moment, so
  // each tells only its own clients: told to the others too, a listener would hear every tick
  // once per copy.
  const clock = setInterval(() => {
    tick = Math.floor(Date.now() / CLOCK_MS);
    server.notifyResourceUpdated('erlmcp://demo/clock', { scope: 'local' });
  }, CLOCK_MS);
  clock.unref();

  server.registerResource(
    'server-info',
    'erlmcp://server/info',
    { title: 'Server information', description: 'Name, version and live session count.', mimeType: 'application/json' },
    (uri) => ({
      contents: [
        {
          uri,
          mimeType: 'application/json',
          text: JSON.stringify({
            name: server.info.name,
            version: server.info.version,
            sessions: server.sessions.size,
            statelessClients: server.statelessClients.size,
          }),
        },
      ],
    }),
  );

  server.registerResourceTemplate(
    'greeting',
    'erlmcp://greeting/{name}',
    {
      title: 'Greeting',
      description: 'A greeting for {name}.',
      mimeType: 'text/plain',
      complete: {
        name: (value) =>
          ['Ada', 'Alan', 'Barbara', 'Grace', 'Joe'].filter((n) => n.toLowerCase().startsWith(value.toLowerCase())),
      },
    },
    (uri, vars) => {
      const name = vars.name;
      if (typeof name !== 'string' || name.length === 0) {
        throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: the greeting needs a name');
      }
      return { contents: [{ uri, mimeType: 'text/plain', text: `Hello, ${name}!` }] };
    },
  );

  server.registerPrompt(
    'summarize',
    {
      title: 'Summarize',
      description: 'Asks for a summary of a text in a given style.',
      arguments: [
        { name: 'text', description: 'The text to summarize', required: true },
        { name: 'style', description: `One of: ${STYLES.join(', ')}` },
      ],
      complete: { style: (value) => STYLES.filter((s) => s.startsWith(value)) },
    },
    (args) => ({
      description: 'Summarize a text',
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: `Summarize the following as ${args.style ?? 'one paragraph'}:\n\n${args.text}`,
          },
        },
      ],
    }),
  );
  return { stop: () => clearInterval(clock) };
}
