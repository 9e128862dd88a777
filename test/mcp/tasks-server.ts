/**
 * A small server of the Tasks extension (io.modelcontextprotocol/tasks, SEP-2663) for client
 * tests: the official SDK v2 does not implement it. `tools/call` of any tool creates a task
 * whose successive `tasks/get` answers follow a script; `tasks/update` and `tasks/cancel` are
 * recorded. Unknown task ids get -32602, clients that did not declare the extension -32021.
 */
import type { JsonRpcRequest } from '../../src/mcp/jsonrpc.js';
import { type Answer, type FakeServer, METHOD_NOT_FOUND, modern } from './fake-server.js';

const EXT = 'io.modelcontextprotocol/tasks';
const CREATED = '2026-12-01T00:00:00Z';

/** One scripted state: what `tasks/get` answers (taskId and timestamps are added). */
export type TaskState = Record<string, unknown> & { status: string };

export interface TasksScript {
  /** The states `tasks/get` walks through; the last one repeats. */
  states: TaskState[];
  /** The CreateTaskResult's suggested interval (default 0). */
  pollIntervalMs?: number;
  /** When true, `tools/call` answers a plain result instead of a task. */
  synchronous?: boolean;
}

export interface TasksServer {
  handle: (req: JsonRpcRequest, fake: FakeServer) => Answer | Promise<Answer>;
  updates: unknown[];
  cancels: string[];
  /** How many tasks/get each task id got. */
  polls: Map<string, number>;
}

function declared(req: JsonRpcRequest): boolean {
  const caps = (req.params?._meta as Record<string, unknown> | undefined)?.[
    'io.modelcontextprotocol/clientCapabilities'
  ] as { extensions?: Record<string, unknown> } | undefined;
  return caps?.extensions?.[EXT] !== undefined;
}

export function tasksServer(script: TasksScript): TasksServer {
  let next = 0;
  const tasks = new Map<string, number>();
  const server: TasksServer = {
    updates: [],
    cancels: [],
    polls: new Map(),
    handle: modern((req) => {
      const taskId = req.params?.taskId as string;
      if (req.method.startsWith('tasks/') && !declared(req)) {
        return {
          error: {
            code: -32021,
            message: 'Missing required client capability',
            data: { requiredCapabilities: { extensions: { [EXT]: {} } } },
          },
        };
      }
      if (req.method.startsWith('tasks/') && !tasks.has(taskId)) {
        return { error: { code: -32602, message: 'Failed to retrieve task: Task not found' } };
      }
      switch (req.method) {
        case 'tools/call': {
          if (script.synchronous || !declared(req)) return { result: { content: [{ type: 'text', text: 'sync' }] } };
          const id = `task-${++next}`;
          tasks.set(id, 0);
          return {
            result: {
              resultType: 'task',
              taskId: id,
              status: 'working',
              createdAt: CREATED,
              lastUpdatedAt: CREATED,
              ttlMs: 60_000,
              pollIntervalMs: script.pollIntervalMs ?? 0,
            },
          };
        }
        case 'tasks/get': {
          const i = tasks.get(taskId) as number;
          tasks.set(taskId, i + 1);
          server.polls.set(taskId, (server.polls.get(taskId) ?? 0) + 1);
          const state = script.states[Math.min(i, script.states.length - 1)] as TaskState;
          return {
            result: {
              resultType: 'complete',
              taskId,
              createdAt: CREATED,
              lastUpdatedAt: CREATED,
              ttlMs: 60_000,
              ...state,
            },
          };
        }
        case 'tasks/update':
          server.updates.push(req.params?.inputResponses);
          return { result: { resultType: 'complete' } };
        case 'tasks/cancel':
          server.cancels.push(taskId);
          return { result: { resultType: 'complete' } };
        default:
          return METHOD_NOT_FOUND;
      }
    }),
  };
  return server;
}
