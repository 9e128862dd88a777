import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { DEFAULT_POLL, pollDelay } from '../../src/mcp/client/tasks.js';
import { McpClient, type McpClientOptions } from '../../src/mcp/client.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import type { Task } from '../../src/mcp/types.js';
import { type FakeServer, fakeServer, metaOf } from './fake-server.js';
import { type TasksScript, type TasksServer, tasksServer } from './tasks-server.js';

const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

const confirm = {
  method: 'elicitation/create',
  params: {
    mode: 'form',
    message: 'Delete?',
    requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } } },
  },
};
const done = { status: 'completed', result: { content: [{ type: 'text', text: 'deleted' }], isError: false } };

async function connected(
  script: TasksScript,
  options: McpClientOptions = { tasks: { minPollIntervalMs: 0 } },
): Promise<{ client: McpClient; fake: FakeServer; server: TasksServer; asked: string[] }> {
  const server = tasksServer(script);
  const fake = await fakeServer(server.handle);
  const client = new McpClient({ name: 'tasks', version: '1' }, { versionNegotiation: 'auto', ...options });
  const asked: string[] = [];
  client.onElicitation((p) => {
    asked.push(p.message);
    return { action: 'accept', content: { ok: true } };
  });
  clients.push(client);
  await client.connect(fake.clientEnd);
  return { client, fake, server, asked };
}

describe('McpClient and the Tasks extension', () => {
  it('callTool waits for the task: polls, answers input once per key, resolves with the result', async () => {
    const { client, fake, server, asked } = await connected({
      states: [
        { status: 'working' },
        { status: 'input_required', inputRequests: { confirm } },
        // Polled again before the server took the answer in: the same key must not be asked twice.
        { status: 'input_required', inputRequests: { confirm } },
        { status: 'working', statusMessage: 'deleting' },
        done,
      ],
    });
    expect(await client.callTool({ name: 'delete', arguments: { path: '/tmp/x' } })).toEqual(done.result);
    expect(asked).toEqual(['Delete?']);
    expect(server.updates).toEqual([{ confirm: { action: 'accept', content: { ok: true } } }]);
    expect(server.polls.get('task-1')).toBe(5);
    const caps = metaOf(fake.of('tools/call')[0])['io.modelcontextprotocol/clientCapabilities'];
    expect(caps).toEqual({ elicitation: {}, extensions: { 'io.modelcontextprotocol/tasks': {} } });
    expect(fake.of('tasks/get').map((r) => r.params?.taskId)).toEqual(Array(5).fill('task-1'));
  });

  it('a failed task rejects with its JSON-RPC error; a cancelled one with ERR_TASK_CANCELLED', async () => {
    const failed = await connected({
      states: [
        {
          status: 'failed',
          statusMessage: 'rate limit',
          error: { code: -32603, message: 'API rate limit exceeded', data: { retry: 5 } },
        },
      ],
    });
    expect(await failed.client.callTool({ name: 'x' }).catch((e) => e)).toEqual(
      new McpError(-32603, 'API rate limit exceeded', { retry: 5 }),
    );
    const cancelled = await connected({ states: [{ status: 'cancelled', statusMessage: 'operator' }] });
    const err = await cancelled.client.callTool({ name: 'x' }).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_TASK_CANCELLED')).toBe(true);
    expect(err.message).toBe('task task-1 was cancelled: operator');
  });

  it('a completed task without a result, or a failed one without an error, is invalid', async () => {
    const a = await connected({ states: [{ status: 'completed' }] });
    expect(hasErrorCode(await a.client.callTool({ name: 'x' }).catch((e) => e), 'ERR_INVALID_RESULT')).toBe(true);
    const b = await connected({ states: [{ status: 'failed' }] });
    expect(hasErrorCode(await b.client.callTool({ name: 'x' }).catch((e) => e), 'ERR_INVALID_RESULT')).toBe(true);
  });

  it('startToolCall hands back the task; getTask, updateTask, cancelTask drive it by hand', async () => {
    const { client, fake, server } = await connected({
      states: [{ status: 'input_required', inputRequests: { confirm } }],
    });
    const start = await client.startToolCall({ name: 'x' });
    expect(start.task).toEqual({
      resultType: 'task',
      taskId: 'task-1',
      status: 'working',
      createdAt: '2026-12-01T00:00:00Z',
      lastUpdatedAt: '2026-12-01T00:00:00Z',
      ttlMs: 60_000,
      pollIntervalMs: 0,
    });
    expect(fake.of('tasks/get')).toHaveLength(0);
    const t = await client.getTask('task-1');
    expect(t.status).toBe('input_required');
    expect(t.inputRequests).toEqual({ confirm });
    await client.updateTask('task-1', { confirm: { action: 'decline' } });
    await client.cancelTask('task-1');
    expect(server.updates).toEqual([{ confirm: { action: 'decline' } }]);
    expect(server.cancels).toEqual(['task-1']);
    // A server that answers synchronously gives the result instead.
    const sync = await connected({ states: [], synchronous: true });
    expect(await sync.client.startToolCall({ name: 'x' })).toEqual({
      result: { content: [{ type: 'text', text: 'sync' }] },
    });
  });

  it("an unknown taskId is the server's -32602, surfaced as McpError", async () => {
    const { client } = await connected({ states: [done] });
    const err = await client.getTask('nope').catch((e) => e);
    expect(err).toEqual(new McpError(-32602, 'Failed to retrieve task: Task not found'));
    expect(hasErrorCode(await client.getTask('').catch((e) => e), 'ERR_INVALID_ARG')).toBe(true);
  });

  it('aborting waitForTask stops polling and leaves the task alone; aborting callTool also cancels it', async () => {
    const { client, server } = await connected(
      { states: [{ status: 'working' }] },
      { tasks: { minPollIntervalMs: 0, defaultPollIntervalMs: 0 } },
    );
    const { task } = await client.startToolCall({ name: 'x' });
    const ac = new AbortController();
    const seen: string[] = [];
    const waiting = client.waitForTask(task?.taskId as string, {
      signal: ac.signal,
      onStatus: (t: Task) => {
        seen.push(t.status);
        if (seen.length === 3) ac.abort(new Error('stop waiting'));
      },
    });
    expect((await waiting.catch((e) => e)).message).toBe('stop waiting');
    const polls = server.polls.get('task-1');
    expect(polls).toBe(3);
    expect(server.cancels).toEqual([]);

    const ac2 = new AbortController();
    const call = client.callTool({ name: 'y' }, { signal: ac2.signal });
    while ((server.polls.get('task-2') ?? 0) < 2) await new Promise((r) => setImmediate(r));
    ac2.abort(new Error('user cancelled'));
    expect((await call.catch((e) => e)).message).toBe('user cancelled');
    while (server.cancels.length === 0) await new Promise((r) => setImmediate(r));
    expect(server.cancels).toEqual(['task-2']);
    expect(server.polls.get('task-1')).toBe(polls);
  });

  it('a notifications/tasks for the task wakes the waiter before its poll interval', async () => {
    const { client, fake, server } = await connected({ states: [done] }, { tasks: { minPollIntervalMs: 0 } });
    const { task } = await client.startToolCall({ name: 'x' });
    const waiting = client.waitForTask(task?.taskId as string, {
      seed: { ...(task as Task), pollIntervalMs: 3_600_000 },
    });
    // The seed says "wait an hour"; a task notification says "look now".
    fake.send({ jsonrpc: '2.0', method: 'notifications/tasks', params: { taskId: 'task-1', status: 'completed' } });
    expect(await waiting).toEqual(done.result);
    expect(server.polls.get('task-1')).toBe(1);
  });

  it('poll intervals honour the server within the floor and the cap', () => {
    const t = (pollIntervalMs?: number) => ({ pollIntervalMs }) as Task;
    const b = { minPollIntervalMs: 100, maxPollIntervalMs: 5_000, defaultPollIntervalMs: 1_000 };
    expect([t(10), t(250), t(60_000), t(undefined), t(-1)].map((x) => pollDelay(x, b))).toEqual([
      100, 250, 5_000, 1_000, 1_000,
    ]);
    expect(DEFAULT_POLL).toEqual({ minPollIntervalMs: 100, maxPollIntervalMs: 30_000, defaultPollIntervalMs: 1_000 });
  });

  it('without the opt-in: no extension declared, a task answer is invalid, task calls refuse', async () => {
    const { client, fake } = await connected({ states: [done] }, {});
    expect(await client.callTool({ name: 'x' })).toEqual({ content: [{ type: 'text', text: 'sync' }] });
    const caps = metaOf(fake.of('tools/call')[0])['io.modelcontextprotocol/clientCapabilities'];
    expect(caps).toEqual({ elicitation: {} });
    expect(hasErrorCode(await client.getTask('task-1').catch((e) => e), 'ERR_CAPABILITY')).toBe(true);
    expect(hasErrorCode(await client.waitForTask('task-1').catch((e) => e), 'ERR_CAPABILITY')).toBe(true);
    // A server that makes a task anyway is answering wrongly.
    const rogue = await fakeServer((req) =>
      req.method === 'server/discover'
        ? tasksServer({ states: [] }).handle(req, fake)
        : { result: { resultType: 'task', taskId: 't', status: 'working' } },
    );
    const c = new McpClient({ name: 'x', version: '1' }, { versionNegotiation: 'auto' });
    clients.push(c);
    await c.connect(rogue.clientEnd);
    expect(hasErrorCode(await c.callTool({ name: 'x' }).catch((e) => e), 'ERR_INVALID_RESULT')).toBe(true);
  });
});
