// The "everything" server that the official MCP conformance suite
// (@modelcontextprotocol/conformance, server mode) expects at --url: every tool, resource and
// prompt its server scenarios call, built on erlmcp's public API only (dist/index.mjs) and
// served over erlmcp's own Streamable HTTP listener.
//
// Run directly it listens on 127.0.0.1 (port 0 unless --port N) and prints one JSON line,
// {"url":"http://127.0.0.1:PORT/mcp"}, once it accepts connections; SIGTERM / SIGINT stop it.
// scripts/conformance/run.mjs starts it that way. Imported, it exports the factory.
//
// What each scenario checks is documented in docs/conformance.md. Keep the names and
// payloads below as the suite spells them: the suite matches them literally.
import { pathToFileURL } from 'node:url';
import { listen, McpServer } from '../../dist/index.mjs';

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

  // Pending scenario json-schema-2020-12 (SEP-1613): these keywords must reach tools/list intact.
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: {
          address: {
            type: 'object',
            properties: { street: { type: 'string' }, city: { type: 'string' } },
          },
        },
        properties: {
          name: { type: 'string' },
          address: { $ref: '#/$defs/address' },
        },
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
  const server = new McpServer({ name: 'erlmcp-conformance-everything', version: '1.0.0' });
  registerTools(server);
  registerResources(server);
  registerPrompts(server);
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
