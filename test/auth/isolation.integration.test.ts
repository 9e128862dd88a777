/**
 * 40 principals calling one server at once over Streamable HTTP (2026 era with the Tasks
 * extension and MRTR, and 2025 sessions): nothing crosses between them — every answer, every
 * progress notification, every input request, every task and every requestState stays with
 * the principal it belongs to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import { McpServer } from '../../src/mcp/server.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { request2026, V2026 } from '../mcp/era.js';
import { postJson } from '../transports/stateless-fixtures.js';
import { FakeAuth } from './fake-auth.js';

const N = 40;
let listener: Listener;
let server: McpServer;

beforeAll(async () => {
  server = new McpServer({ name: 'isolation', version: '1.0.0' });
  server.registerTool('whoami', {}, async (_a, ctx) => {
    // Progress that names its principal: it must reach that principal only.
    await ctx.progress(1, 2, `for ${ctx.principal}`);
    await new Promise((r) => setTimeout(r, Math.random() * 20));
    await ctx.progress(2, 2, `for ${ctx.principal}`);
    return { content: [{ type: 'text', text: String(ctx.principal) }] };
  });
  server.registerTool('ask', {}, async (_a, ctx) => {
    const r = await ctx.elicit({
      message: `who are you, ${ctx.principal}?`,
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
    });
    return { content: [{ type: 'text', text: `${ctx.principal} answered ${String(r.content?.name)}` }] };
  });
  server.registerTool('job', { task: { support: 'optional', pollIntervalMs: 10 } }, async (_a, ctx) => {
    await new Promise((r) => setTimeout(r, 20));
    return { content: [{ type: 'text', text: `job of ${ctx.principal}` }] };
  });
  listener = await listen(server, { host: '127.0.0.1', port: 0, auth: new FakeAuth() });
});

afterAll(async () => {
  await listener?.close();
  await server?.close();
});

interface Run {
  name: string;
  whoami: string;
  progress: string[];
  asked: string[];
  answered: string;
  taskId: string;
  taskResult: string;
}

async function runPrincipal(name: string): Promise<Run & { client: McpClient }> {
  const asked: string[] = [];
  const client = new McpClient({ name, version: '1' }, { versionNegotiation: { pin: V2026 }, tasks: true });
  client.onElicitation(async (req) => {
    asked.push(String((req as { message?: unknown }).message));
    return { action: 'accept', content: { name } };
  });
  await client.connect(new StreamableHttpClientTransport(listener.url, { auth: name }));
  const progress: string[] = [];
  const who = await client.callTool(
    { name: 'whoami', arguments: {} },
    { onprogress: (p) => progress.push(String(p.message)) },
  );
  const ask = await client.callTool({ name: 'ask', arguments: {} });
  const started = await client.startToolCall({ name: 'job', arguments: {} });
  if (!('task' in started) || started.task === undefined) throw new Error(`${name}: job did not become a task`);
  const taskId = started.task.taskId;
  const done = (await client.waitForTask(taskId)) as { content?: { text: string }[] };
  return {
    client,
    name,
    whoami: (who.content[0] as { text: string }).text,
    progress,
    asked,
    answered: (ask.content[0] as { text: string }).text,
    taskId,
    taskResult: String(done.content?.[0]?.text),
  };
}

describe(`${N} principals at once`, () => {
  it('every answer, notification, input request and task stays with its principal', async () => {
    const names = Array.from({ length: N }, (_, i) => `p${i}`);
    const runs = await Promise.all(names.map(runPrincipal));
    try {
      for (const r of runs) {
        const key = `test|${r.name}`;
        expect(r.whoami).toBe(key);
        expect(r.progress).toEqual([`for ${key}`, `for ${key}`]);
        expect(r.asked).toEqual([`who are you, ${key}?`]);
        expect(r.answered).toBe(`${key} answered ${r.name}`);
        expect(r.taskResult).toBe(`job of ${key}`);
      }
      // Every principal's task is invisible to every other one: -32602, as for an unknown id.
      const ids = new Set(runs.map((r) => r.taskId));
      expect(ids.size).toBe(N);
      for (let i = 0; i < N; i++) {
        const other = runs[(i + 1) % N] as Run & { client: McpClient };
        const err = await (runs[i] as Run & { client: McpClient }).client.getTask(other.taskId).catch((e) => e);
        expect(err).toBeInstanceOf(McpError);
        expect((err as McpError).code).toBe(-32602);
        await expect((runs[i] as Run & { client: McpClient }).client.cancelTask(other.taskId)).rejects.toMatchObject({
          code: -32602,
        });
      }
      // The owner still sees its task, completed.
      const mine = await (runs[0] as Run & { client: McpClient }).client.getTask((runs[0] as Run).taskId);
      expect(mine.status).toBe('completed');
    } finally {
      await Promise.all(runs.map((r) => r.client.close()));
    }
  });

  it("one principal's requestState is refused for another (-32602), and still works for its owner", async () => {
    const first = await postJson(
      listener.port,
      request2026(
        'a1',
        'tools/call',
        { name: 'ask', arguments: {} },
        {
          caps: { elicitation: {} },
        },
      ),
      { headers: { authorization: 'Bearer p1' } },
    );
    expect(first.status).toBe(200);
    expect(first.body.result.resultType).toBe('input_required');
    const state = first.body.result.requestState as string;
    const [key] = Object.keys(first.body.result.inputRequests);
    const retry = (token: string, id: string) =>
      postJson(
        listener.port,
        request2026(
          id,
          'tools/call',
          {
            name: 'ask',
            arguments: {},
            inputResponses: { [key as string]: { action: 'accept', content: { name: 'x' } } },
            requestState: state,
          },
          { caps: { elicitation: {} } },
        ),
        { headers: { authorization: `Bearer ${token}` } },
      );
    const stolen = await retry('p2', 'a2');
    expect(stolen.status).toBe(200);
    expect(stolen.body.error.code).toBe(-32602);
    const own = await retry('p1', 'a3');
    expect(own.body.result.content).toEqual([{ type: 'text', text: 'test|p1 answered x' }]);
  });
});
