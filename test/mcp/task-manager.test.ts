// The TaskManager over a store that misbehaves the way a shared one can (src/mcp/tasks/manager.ts):
// a cancellation holds in the record even when the runner never hears of it, and the runner
// stops at its next write; a runner's writes refused by the store wait and land, merged and in
// order, once it takes them; a server stopping while the store refuses every write still stops.
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { McpServer } from '../../src/mcp/server.js';
import { InMemoryTaskStore } from '../../src/mcp/tasks/memory-store.js';
import type { TaskPatch, TaskRecord, TaskSignal } from '../../src/mcp/tasks/store.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { type Listener, listen } from '../../src/transports/listen.js';

/** An in-memory store that can refuse updates and lose signals. */
class FlakyStore extends InMemoryTaskStore {
  refuseUpdates = false;
  dropSignals = false;
  applied: TaskPatch[] = [];
  override async update(taskId: string, patch: TaskPatch): Promise<TaskRecord | undefined> {
    if (this.refuseUpdates) throw new Error('store away');
    this.applied.push(patch);
    return super.update(taskId, patch);
  }
  override async signal(signal: TaskSignal): Promise<void> {
    if (!this.dropSignals) await super.signal(signal);
  }
}

const opened: Array<{ server: McpServer; listener: Listener; client: McpClient }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.client.close().catch(() => {});
    await o.listener.close();
    await o.server.shutdown(100);
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function serve(store: FlakyStore) {
  const seen = { steps: 0, aborted: false };
  const server = new McpServer({ name: 'tm', version: '1' }, { tasks: { store } });
  server.registerTool('steps', { task: { support: 'required' } }, async (args: { n?: number }, ctx) => {
    const n = args.n ?? 3;
    for (let i = 1; i <= n; i++) {
      if (ctx.signal.aborted) {
        seen.aborted = true;
        throw new Error('aborted');
      }
      seen.steps = i;
      await ctx.progress(i, n, `step ${i}`);
      await sleep(n > 3 ? 20 : 0);
    }
    return { content: [{ type: 'text', text: `did ${n}` }] };
  });
  const listener = await listen(server, { port: 0 });
  const client = new McpClient(
    { name: 'tm', version: '1' },
    { versionNegotiation: { pin: '2026-07-28' }, tasks: true },
  );
  await client.connect(new StreamableHttpClientTransport(new URL(listener.url)));
  opened.push({ server, listener, client });
  return { client, seen, server };
}

async function start(client: McpClient, n: number): Promise<string> {
  const s = await client.startToolCall({ name: 'steps', arguments: { n } });
  if (s.task === undefined) throw new Error('expected a task');
  return s.task.taskId;
}

describe('TaskManager over a shared-store-like TaskStore', () => {
  it('tasks/cancel holds in the record when the runner never hears it; the runner stops at its next write', async () => {
    const store = new FlakyStore();
    const { client, seen } = await serve(store);
    store.dropSignals = true;
    const id = await start(client, 1000);
    await until('a few steps', () => seen.steps >= 2);
    await client.cancelTask(id);
    const t = await client.getTask(id);
    expect(t.status).toBe('cancelled');
    expect(t.statusMessage).toBe('cancelled by the client');
    // The signal was lost: the runner learns it from the store's answer to its next progress write.
    await until('the handler to be aborted', () => seen.aborted);
    const after = await client.getTask(id);
    expect(after.status).toBe('cancelled');
    expect(after.lastUpdatedAt).toBe(t.lastUpdatedAt);
  });

  it("a runner's writes wait while the store refuses them, then land merged and in order", async () => {
    const store = new FlakyStore();
    const { client, seen } = await serve(store);
    store.refuseUpdates = true;
    const id = await start(client, 3);
    await until('the handler to finish', () => seen.steps === 3);
    await sleep(100);
    expect((await client.getTask(id)).status).toBe('working');
    store.refuseUpdates = false;
    await until('the final status', async () => (await client.getTask(id)).status === 'completed');
    const t = await client.getTask(id);
    expect(t.result?.content).toEqual([{ type: 'text', text: 'did 3' }]);
    // The first write, retried, then the three after it merged into one.
    expect(store.applied.map((p) => p.status ?? p.statusMessage)).toEqual(['step 1', 'completed']);
    expect(store.applied[1]?.statusMessage).toBe('step 3');
  });

  it('stops although the store refuses the last writes', async () => {
    const store = new FlakyStore();
    const { client, seen, server } = await serve(store);
    const id = await start(client, 1000);
    await until('a step', () => seen.steps >= 1);
    store.refuseUpdates = true;
    await server.shutdown(50);
    store.refuseUpdates = false;
    // The record keeps what the store last took: the task was not marked ended behind its back.
    expect((await store.get(id))?.status).toBe('working');
  });
});
