// The "everything" server that the official MCP conformance suite
// (@modelcontextprotocol/conformance, server mode) expects at --url: every tool, resource and
// prompt its server scenarios call, built on erlmcp's public API only (dist/index.mjs) and
// served over erlmcp's own Streamable HTTP listener.
//
// Run directly it listens on 127.0.0.1 (port 0 unless --port N) and prints one JSON line,
// {"url":"http://127.0.0.1:PORT/mcp"}, once it accepts connections; SIGTERM / SIGINT stop it.
// scripts/conformance/run.mjs starts it that way. Imported, it exports the factory.
//
// One fixture serves both revisions on one URL, at once: 2025-11-25 sessions (initialize,
// Mcp-Session-Id) and 2026-07-28 stateless requests (a _meta envelope on each). The handlers do
// not ask which era a request is in: ctx.elicit / ctx.sample / ctx.listRoots are real server ->
// client requests in a session and multi round-trip `input_required` results (SEP-2322) in a
// 2026 request; tools declaring `task:` become tasks only for 2026 clients that declare the
// Tasks extension.
//
// Sections: the 2025 "everything" tools (also called by the 2026 tools-call-* scenarios), then
// the 2026 additions: server-stateless diagnostics, input-required-result-* tools,
// http-custom-header-server-validation, tasks-*; resources; prompts. What each scenario
// checks is documented in docs/conformance.md. Keep the names and payloads below as the suite
// spells them: the suite matches them literally.
import { pathToFileURL } from 'node:url';
import { listen, McpError, McpErrorCode, McpServer, ServerContext } from '../../dist/index.mjs';

/** A 1x1 red PNG. */
export const RED_PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A WAV header with a 2-byte data chunk: the smallest valid audio/wav. */
export const TINY_WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

const NO_ARGS = { type: 'object', properties: {} };
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
const text = (t) => ({ content: [{ type: 'text', text: t }] });

function registerTools(server) {
  server.registerTool('test_simple_text', { description: 'Returns simple text content', inputSchema: NO_ARGS }, () =>
    text('This is a simple text response for testing.'),
  );

  server.registerTool(
    'test_image_content',
    { description: 'Returns image content (a 1x1 red PNG)', inputSchema: NO_ARGS },
    () => ({ content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }] }),
  );

  server.registerTool(
    'test_audio_content',
    { description: 'Returns audio content (a minimal WAV)', inputSchema: NO_ARGS },
    () => ({ content: [{ type: 'audio', data: TINY_WAV, mimeType: 'audio/wav' }] }),
  );

  server.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded resource', inputSchema: NO_ARGS },
    () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  );

  server.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and resource content together', inputSchema: NO_ARGS },
    () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );

  server.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log messages while it runs', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      await ctx.log('info', 'Tool execution started', 'conformance');
      await sleep(50, ctx.signal);
      await ctx.log('info', 'Tool processing data', 'conformance');
      await sleep(50, ctx.signal);
      await ctx.log('info', 'Tool execution completed', 'conformance');
      return text('Tool with logging executed successfully');
    },
  );

  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      await ctx.progress(0, 100, 'started');
      await sleep(50, ctx.signal);
      await ctx.progress(50, 100, 'half way');
      await sleep(50, ctx.signal);
      await ctx.progress(100, 100, 'done');
      return text('Tool with progress executed successfully');
    },
  );

  server.registerTool(
    'test_error_handling',
    { description: 'Always fails (an isError result)', inputSchema: NO_ARGS },
    () => {
      // A thrown Error becomes an isError result with its message as text.
      throw new Error('This tool intentionally returns an error for testing');
    },
  );

  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client LLM (sampling/createMessage) and returns its answer',
      inputSchema: {
        type: 'object',
        properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
        required: ['prompt'],
      },
    },
    async ({ prompt }, ctx) => {
      const r = await ctx.sample({
        messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
        maxTokens: 100,
      });
      const answer = r.content?.type === 'text' ? r.content.text : JSON.stringify(r.content);
      return text(`LLM response: ${answer}`);
    },
  );

  server.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user for input (elicitation/create) and returns the answer',
      inputSchema: {
        type: 'object',
        properties: { message: { type: 'string', description: 'The message to show the user' } },
        required: ['message'],
      },
    },
    async ({ message }, ctx) => {
      const r = await ctx.elicit({
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
    },
  );

  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation with a default for every primitive type (SEP-1034)', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const r = await ctx.elicit({
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: {
              type: 'string',
              description: 'User status',
              enum: ['active', 'inactive', 'pending'],
              default: 'active',
            },
            verified: { type: 'boolean', description: 'Verification status', default: true },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
    },
  );

  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation with the five enum schema variants (SEP-1330)', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const r = await ctx.elicit({
        message: 'Please select options from the enum fields',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: {
              type: 'string',
              description: 'Untitled single-select',
              enum: ['option1', 'option2', 'option3'],
            },
            titledSingle: {
              type: 'string',
              description: 'Titled single-select',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              description: 'Legacy titled enum (enumNames, deprecated)',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              description: 'Untitled multi-select',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              description: 'Titled multi-select',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
    },
  );

  // json-schema-2020-12 (SEP-1613, and SEP-2106 at 2026-07-28): every keyword below must reach
  // tools/list unchanged: $schema, $defs (with an $anchor), $ref, allOf/anyOf, if/then/else and
  // additionalProperties.
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: {
          address: {
            $anchor: 'addressDef',
            type: 'object',
            properties: { street: { type: 'string' }, city: { type: 'string' } },
          },
        },
        properties: {
          name: { type: 'string' },
          address: { $ref: '#/$defs/address' },
          contactMethod: { type: 'string', enum: ['phone', 'email'] },
          phone: { type: 'string' },
          email: { type: 'string' },
        },
        allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
        if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
        // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword, not a promise
        then: { required: ['phone'] },
        else: { required: ['email'] },
        additionalProperties: false,
      },
    },
    (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );

  // Pending scenario server-sse-polling (SEP-1699) calls this tool and wants the server to
  // close the POST's SSE stream mid-call, then resume on a GET with Last-Event-ID. erlmcp's
  // handler API has no way to close the stream (and the transport keeps no event store), so
  // this tool just answers after a short delay; see docs/conformance.md.
  server.registerTool(
    'test_reconnection',
    { description: 'SSE polling test tool (answers on the same stream)', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      await sleep(100, ctx.signal);
      return text('Reconnection test completed successfully');
    },
  );
}

// Questions several 2026 tools ask (elicitation, sampling), with the keys the suite expects.
const NAME_SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const askName = (ctx, key = 'user_name') =>
  ctx.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }, { key });
const askCapital = (ctx) =>
  ctx.sample(
    {
      messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
      maxTokens: 100,
    },
    { key: 'capital_question' },
  );
const sampledText = (r) => (r.content?.type === 'text' ? r.content.text : JSON.stringify(r.content));

// ---- 2026-07-28: server-stateless (SEP-2575) ----------------------------------------------
// Its diagnostic tools; the suite calls each with a raw POST and a 2026 envelope.

/** A tool added by test_trigger_tool_change and a prompt added by test_trigger_prompt_change. */
const DYNAMIC_TOOL = 'test_dynamic_tool';
const DYNAMIC_PROMPT = 'test_dynamic_prompt';

function registerStatelessDiagnostics(server) {
  // sep-2575-server-rejects-undeclared-capability / -missing-capability-http-400: called with
  // empty client capabilities, ctx.sample refuses with -32021 and
  // data.requiredCapabilities = { sampling: {} } (HTTP 400), before anything is asked.
  server.registerTool(
    'test_missing_capability',
    { description: 'Needs the client sampling capability (asks the client LLM)', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const r = await ctx.sample(
        { messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }], maxTokens: 20 },
        { key: 'hello' },
      );
      return text(`LLM response: ${r.content?.type === 'text' ? r.content.text : ''}`);
    },
  );

  // sep-2575-http-server-no-independent-requests-on-stream: asks the user mid-call. In a 2026
  // request that is an input_required result (MRTR), never an elicitation/create request on the
  // response stream; in a 2025 session it is a real server -> client request.
  server.registerTool(
    'test_streaming_elicitation',
    { description: 'Asks the user for their name while it runs', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const r = await askName(ctx);
      return text(`Hello, ${r.content?.name ?? 'stranger'}!`);
    },
  );

  // sep-2575-server-no-log-without-loglevel: logs through ctx.log, which sends nothing to a 2026
  // request whose envelope sets no logLevel; the suite wants the answer within 500 ms, so no pauses.
  server.registerTool(
    'test_logging_tool',
    { description: 'Logs three info messages (sent only when the request asks for a logLevel)', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      await ctx.log('info', 'Tool execution started', 'conformance');
      await ctx.log('info', 'Tool processing data', 'conformance');
      await ctx.log('info', 'Tool execution completed', 'conformance');
      return text('Tool with logging executed successfully');
    },
  );

  // sep-2575-server-sends-subscription-ack, -tags-subscription-id, -honors-notification-filter,
  // -sends-tools-list-changed-on-subscription: each call adds test_dynamic_tool, or removes it
  // when present, so the tool list changes and open subscriptions/listen streams asking for
  // toolsListChanged get notifications/tools/list_changed. The tool goes last: tools/list[0]
  // and the order of the others stay the same (tools-list compares consecutive listings).
  let dynamicTool;
  server.registerTool(
    'test_trigger_tool_change',
    { description: `Adds the tool ${DYNAMIC_TOOL}, or removes it when present`, inputSchema: NO_ARGS },
    () => {
      if (dynamicTool) {
        dynamicTool.remove();
        dynamicTool = undefined;
        return text(`Removed tool ${DYNAMIC_TOOL}`);
      }
      dynamicTool = server.registerTool(
        DYNAMIC_TOOL,
        { description: 'Added by test_trigger_tool_change', inputSchema: NO_ARGS },
        () => text('Dynamic tool called'),
      );
      return text(`Added tool ${DYNAMIC_TOOL}`);
    },
  );

  // sep-2575-server-sends-prompts-list-changed-on-subscription: the same for the prompt list.
  let dynamicPrompt;
  server.registerTool(
    'test_trigger_prompt_change',
    { description: `Adds the prompt ${DYNAMIC_PROMPT}, or removes it when present`, inputSchema: NO_ARGS },
    () => {
      if (dynamicPrompt) {
        dynamicPrompt.remove();
        dynamicPrompt = undefined;
        return text(`Removed prompt ${DYNAMIC_PROMPT}`);
      }
      dynamicPrompt = server.registerPrompt(
        DYNAMIC_PROMPT,
        { title: 'Dynamic prompt', description: 'Added by test_trigger_prompt_change' },
        () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'A dynamic prompt.' } }] }),
      );
      return text(`Added prompt ${DYNAMIC_PROMPT}`);
    },
  );
}

// ---- 2026-07-28: input-required-result-* (SEP-2322, multi round-trip requests) -------------
// Written as a user of erlmcp writes them: `await ctx.elicit(...)` (and ctx.sample,
// ctx.listRoots) with the keys the suite expects. In a 2026 request an unanswered one makes the
// request answer `input_required` (erlmcp seals what was gathered so far into requestState); the
// client's retry runs the handler again from the top and the answers are found in place. Each
// run decides from the retry's inputResponses and the verified requestState alone, so a retry
// without an earlier round (missing-input-response, ignore-extra-params) works too. In a 2025
// session the same calls are real server -> client requests.

function registerInputRequiredTools(server) {
  // basic-elicitation (key user_name), missing-input-response (a wrong key: asked again),
  // result-type, ignore-extra-params (unknown keys ignored), validate-input (a malformed answer
  // or inputResponses: null is -32602).
  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks the user for their name (elicitation, key user_name)', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const r = await askName(ctx);
      return text(`Hello, ${r.content?.name ?? 'stranger'}!`);
    },
  );

  // basic-sampling: one sampling/createMessage (key capital_question).
  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks the client LLM for the capital of France (sampling)', inputSchema: NO_ARGS },
    async (_args, ctx) => text(`LLM response: ${sampledText(await askCapital(ctx))}`),
  );

  // basic-list-roots: one roots/list (key client_roots).
  server.registerTool(
    'test_input_required_result_list_roots',
    { description: "Lists the client's roots (roots/list)", inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const roots = await ctx.listRoots({ key: 'client_roots' });
      return text(`Client roots: ${roots.map((r) => r.uri).join(', ') || '(none)'}`);
    },
  );

  // request-state: the explicit form. The first run returns ctx.inputRequired with an input
  // request and state of its own; erlmcp seals the state into requestState, and on the retry
  // hands it back as ctx.requestState with the answer in ctx.inputResponses.
  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Asks for a confirmation and carries its own state between rounds', inputSchema: NO_ARGS },
    (_args, ctx) => {
      // Explicit input requests' answers come unchecked: look before reading them.
      const answer = ctx.inputResponses.confirm;
      if (ctx.requestState?.step === 'confirm' && typeof answer?.action === 'string') {
        return text(`state-ok: action=${answer.action}, confirmed=${answer.content?.ok === true}`);
      }
      return ctx.inputRequired({
        inputRequests: {
          confirm: ServerContext.inputRequest('elicitation/create', {
            mode: 'form',
            message: 'Please confirm',
            requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
          }),
        },
        state: { step: 'confirm' },
      });
    },
  );

  // multiple-input-requests: three requests of the three kinds in one round. Started together
  // (not awaited one by one), they are all asked in the same input_required result.
  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks for a name, an LLM greeting and the roots at once', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const [name, greeting, roots] = await Promise.all([
        askName(ctx),
        ctx.sample(
          { messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 },
          { key: 'greeting' },
        ),
        ctx.listRoots({ key: 'client_roots' }),
      ]);
      return text(
        `Hello, ${name.content?.name ?? 'stranger'}! Greeting: ${sampledText(greeting)}; roots: ${roots.length}`,
      );
    },
  );

  // multi-round: two questions asked one after the other, so two input_required rounds (each
  // with fresh sealed requestState) before the result.
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Asks for a name, then for a favourite colour', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const name = await ctx.elicit(
        { message: 'Step 1: What is your name?', requestedSchema: NAME_SCHEMA },
        { key: 'step1' },
      );
      const color = await ctx.elicit(
        {
          message: 'Step 2: What is your favorite color?',
          requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
        },
        { key: 'step2' },
      );
      return text(`Hello, ${name.content?.name}! Your favorite color is ${color.content?.color}.`);
    },
  );

  // tampered-state: a plain elicitation; erlmcp's requestState is authenticated (AES-GCM), so
  // the suite's altered copy is refused with -32602.
  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Asks for a confirmation (its requestState must come back unaltered)', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const r = await ctx.elicit(
        {
          message: 'Please confirm',
          requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
        },
        { key: 'confirm' },
      );
      return text(`Confirmed: ${r.content?.ok === true}`);
    },
  );

  // capability-check: asks only through what this request's client declared (the suite
  // declares sampling alone): elicitation if it can, else sampling, else no question at all.
  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Asks for input through a capability the client declared', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const caps = ctx.clientCapabilities;
      if (caps.elicitation) return text(`Hello, ${(await askName(ctx)).content?.name ?? 'stranger'}!`);
      if (caps.sampling) return text(`LLM response: ${sampledText(await askCapital(ctx))}`);
      return text('The client declared neither elicitation nor sampling: nothing to ask');
    },
  );
}

function registerInputRequiredPrompt(server) {
  // non-tool-request: MRTR on prompts/get (key user_context).
  server.registerPrompt(
    'test_input_required_result_prompt',
    { title: 'Prompt asking for input', description: 'Asks the user which context to use, then builds the prompt' },
    async (_args, ctx) => {
      const r = await ctx.elicit(
        {
          message: 'What context should the prompt use?',
          requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
        },
        { key: 'user_context' },
      );
      return {
        messages: [{ role: 'user', content: { type: 'text', text: `Use this context: ${r.content?.context}` } }],
      };
    },
  );
}

// ---- 2026-07-28: http-custom-header-server-validation (SEP-2243) ---------------------------
// The first tool with an x-mcp-header property: erlmcp checks the Mcp-Param-Region header
// against arguments.region before the handler runs (-32020, HTTP 400 on any disagreement).
function registerHeaderTool(server) {
  server.registerTool(
    'test_x_mcp_header',
    {
      description: 'Echoes a value mirrored into the Mcp-Param-Region header',
      inputSchema: {
        type: 'object',
        properties: { region: { type: 'string', description: 'A region name', 'x-mcp-header': 'Region' } },
        required: ['region'],
      },
    },
    ({ region }) => text(`Region: ${region}`),
  );
}

// ---- 2026-07-28: tasks-* (Tasks extension io.modelcontextprotocol/tasks, SEP-2663) ---------
// Task creation is server-directed: a tool declaring `task:` support answers a client that
// declared the extension on the request with a task (CreateTaskResult), which it polls with
// tasks/get; `required` tools refuse other clients with -32021. Inside a task, ctx.elicit parks
// the task as input_required until tasks/update answers, and ctx.signal is the task's
// cancellation (tasks/cancel).

function registerTaskTools(server) {
  // tasks-lifecycle, tasks-request-headers, tasks-dispatch-and-envelope: a plain tool; never a task.
  server.registerTool(
    'greet',
    {
      description: 'Greets someone (always synchronous)',
      inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
    ({ name }) => text(`Hello, ${name}!`),
  );

  // Most tasks-* scenarios: runs `seconds` seconds; a task for clients that take one,
  // synchronous for the others (tasks-capability-negotiation). Cancelling the task aborts the wait.
  server.registerTool(
    'slow_compute',
    {
      description: 'Computes for the given number of seconds (a task when the client supports tasks)',
      inputSchema: {
        type: 'object',
        properties: {
          seconds: { type: 'number', minimum: 0, description: 'How long to run' },
          label: { type: 'string', description: 'A label echoed in the result' },
        },
        required: ['seconds'],
      },
      task: { support: 'optional' },
    },
    async ({ seconds, label }, ctx) => {
      await sleep(seconds * 1000, ctx.signal);
      return text(`Computed for ${seconds} s${label === undefined ? '' : ` (${label})`}`);
    },
  );

  // tasks-lifecycle (a tool error is a completed task with isError), tasks-dispatch-and-envelope
  // (server-directed creation), tasks-required-task-error (-32021 naming the extension for a
  // client without it).
  server.registerTool(
    'failing_job',
    {
      description: 'A task that fails with a tool error after a second',
      inputSchema: NO_ARGS,
      task: { support: 'required' },
    },
    async (_args, ctx) => {
      await sleep(1000, ctx.signal);
      throw new Error('failing_job failed on purpose');
    },
  );

  // tasks-lifecycle: a protocol error (an McpError) inside a task ends it `failed` with that error.
  server.registerTool(
    'protocol_error_job',
    { description: 'A task that ends with a protocol error', inputSchema: NO_ARGS, task: { support: 'required' } },
    async (_args, ctx) => {
      await sleep(200, ctx.signal);
      throw new McpError(McpErrorCode.INTERNAL_ERROR, 'protocol_error_job failed on purpose');
    },
  );

  // tasks-mrtr-input, tasks-dispatch-and-envelope: one question inside the task (input_required
  // until tasks/update answers it).
  server.registerTool(
    'confirm_delete',
    {
      description: 'Asks for a confirmation before deleting a file',
      inputSchema: { type: 'object', properties: { filename: { type: 'string' } }, required: ['filename'] },
      task: { support: 'optional' },
    },
    async ({ filename }, ctx) => {
      const r = await ctx.elicit(
        {
          message: `Delete ${filename}?`,
          requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] },
        },
        { key: 'confirm' },
      );
      const yes = r.action === 'accept' && r.content?.confirm === true;
      return text(yes ? `Deleted ${filename}` : `Kept ${filename}`);
    },
  );

  // tasks-mrtr-input (partial fulfilment): two questions pending at once.
  server.registerTool(
    'multi_input',
    { description: 'Asks two questions at once', inputSchema: NO_ARGS, task: { support: 'optional' } },
    async (_args, ctx) => {
      const [name, confirm] = await Promise.all([
        askName(ctx, 'name'),
        ctx.elicit(
          {
            message: 'Confirm?',
            requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] },
          },
          { key: 'confirm' },
        ),
      ]);
      return text(`Name: ${name.content?.name}; confirmed: ${confirm.content?.confirm === true}`);
    },
  );

  // tasks-mrtr-composition: input first, synchronously (MRTR, no task yet), then the rest as a
  // task: start 'handler' runs the handler as a normal request until it returns ctx.runAsTask.
  server.registerTool(
    'test_tool_with_task',
    {
      description: 'Asks for a name, then greets in a task',
      inputSchema: NO_ARGS,
      task: { support: 'required', start: 'handler' },
    },
    async (_args, ctx) => {
      const r = await askName(ctx);
      const name = r.content?.name ?? 'stranger';
      return ctx.runAsTask(async (taskCtx) => {
        await sleep(200, taskCtx.signal);
        return text(`Hello, ${name}!`);
      });
    },
  );
}

function registerResources(server) {
  server.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static text', description: 'A static text resource', mimeType: 'text/plain' },
    (uri) => ({
      contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    }),
  );

  server.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static binary', description: 'A static binary resource (a 1x1 PNG)', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri, mimeType: 'image/png', blob: RED_PIXEL_PNG }] }),
  );

  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { title: 'Watched resource', description: 'A resource to subscribe to', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: 'Watched resource content' }] }),
  );

  server.registerResourceTemplate(
    'template-data',
    'test://template/{id}/data',
    {
      title: 'Template data',
      description: 'A resource template with one parameter',
      mimeType: 'application/json',
      complete: { id: (value) => ['123', '456', '789'].filter((v) => v.startsWith(value)) },
    },
    (uri, vars) => {
      const id = Array.isArray(vars.id) ? vars.id.join(',') : vars.id;
      return {
        contents: [
          {
            uri,
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      };
    },
  );
}

function registerPrompts(server) {
  server.registerPrompt(
    'test_simple_prompt',
    { title: 'Simple prompt', description: 'A prompt without arguments' },
    () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] }),
  );

  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt with arguments',
      description: 'A prompt with two required arguments',
      arguments: [
        { name: 'arg1', description: 'First test argument', required: true },
        { name: 'arg2', description: 'Second test argument', required: true },
      ],
      complete: {
        arg1: (value) => ['paris', 'park', 'party', 'test', 'testValue1'].filter((v) => v.startsWith(value)),
        arg2: (value) => ['world', 'testValue2'].filter((v) => v.startsWith(value)),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [
        { role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } },
      ],
    }),
  );

  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      title: 'Prompt with embedded resource',
      description: 'A prompt that embeds the resource named by its argument',
      arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );

  server.registerPrompt(
    'test_prompt_with_image',
    { title: 'Prompt with image', description: 'A prompt with image content' },
    () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  );
}

/** The conformance suite's "everything" server on erlmcp's McpServer. */
export function createEverythingServer() {
  const server = new McpServer(
    { name: 'erlmcp-conformance-everything', version: '1.0.0' },
    // Tasks finished or abandoned by a scenario (a confirm_delete left input_required) are
    // forgotten after five minutes; the suite polls tasks/get every 100-200 ms.
    { tasks: { ttlMs: 300_000, pollIntervalMs: 200 } },
  );
  // Registration order is tools/list order: test_simple_text stays first (http-header-validation
  // calls tools/list[0] with no arguments).
  registerTools(server);
  registerStatelessDiagnostics(server);
  registerInputRequiredTools(server);
  registerHeaderTool(server);
  registerTaskTools(server);
  registerResources(server);
  registerPrompts(server);
  registerInputRequiredPrompt(server);
  return server;
}

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = createEverythingServer();
  let listener;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // A hung close must not keep the process alive.
    setTimeout(() => process.exit(0), 2_000).unref();
    try {
      await listener?.close();
      await server.close();
    } finally {
      process.exit(0);
    }
  };
  // Installed before the URL is printed: whoever reads it may signal at once.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  listener = await listen(server, {
    host: argValue('--host', '127.0.0.1'),
    port: Number(argValue('--port', '0')),
  });
  process.stdout.write(`${JSON.stringify({ url: String(listener.url) })}\n`);
}
