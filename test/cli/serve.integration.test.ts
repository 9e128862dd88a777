/**
 * `erlmcp serve` as users run it (`npm start`): a child process serving the demo toolset,
 * stopped by SIGTERM with a request in flight that must still be answered.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';

const cli = path.join(__dirname, '..', '..', 'dist', 'cli', 'erlmcp.js');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Starts `erlmcp serve --port 0` and resolves with the URL it logged. */
function startServe(args: string[] = []): Promise<{ child: ChildProcess; url: string; logs: () => string[] }> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        const entry = JSON.parse(line) as { http?: string };
        if (entry.http) resolve({ child, url: entry.http, logs: () => lines });
        i = buf.indexOf('\n');
      }
    });
    child.once('exit', (code) => reject(new Error(`erlmcp serve exited early with ${code}: ${lines.join('\n')}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('erlmcp serve', () => {
  it('serves the demo toolset over Streamable HTTP and WebSocket on one port', async () => {
    const { child, url } = await startServe();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const viaHttp = new McpClient({ name: 'cli-test', version: '1' });
    await viaHttp.connect(new StreamableHttpClientTransport(new URL(url)));
    expect(viaHttp.serverInfo?.name).toBe('erlmcp-demo');
    expect(await viaHttp.callTool({ name: 'echo', arguments: { message: 'over http' } })).toEqual({
      content: [{ type: 'text', text: 'over http' }],
    });
    const viaWs = new McpClient({ name: 'cli-test', version: '1' });
    await viaWs.connect(new WebSocketClientTransport(new URL(url.replace(/^http/, 'ws'))));
    expect((await viaWs.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ sum: 3 });
    await viaHttp.close();
    await viaWs.close();
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('on SIGTERM finishes the request in flight, refuses new ones, then exits 0', async () => {
    const { child, url, logs } = await startServe(['--shutdown-ms', '5000']);
    const client = new McpClient({ name: 'cli-test', version: '1' });
    await client.connect(new WebSocketClientTransport(new URL(url.replace(/^http/, 'ws'))));
    const slow = client.callTool({ name: 'sleep', arguments: { ms: 300 } });
    await new Promise((r) => setTimeout(r, 50));
    const exited = exitOf(child);
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    const refused = await client.ping().catch((e: { code?: number }) => e);
    expect((refused as { code?: number }).code).toBe(-32014);
    expect(await slow).toEqual({ content: [{ type: 'text', text: 'slept 300 ms' }] });
    expect(await exited).toBe(0);
    expect(logs().some((l) => l.includes('shutting down'))).toBe(true);
    await client.close();
  });

  /** Runs `erlmcp serve ...args` expecting it to refuse to start: its exit code and stderr. */
  async function refused(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; err: string }> {
    const child = spawn(process.execPath, [cli, 'serve', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    children.push(child);
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    return { code: await exitOf(child), err };
  }

  it('rejects a bad flag with exit code 2 and a message naming its config key', async () => {
    const { code, err } = await refused(['--port', 'abc']);
    expect(code).toBe(2);
    expect(err).toBe(
      'erlmcp: config key "server.port" (from command line) must be an integer in 0..65535, got "abc"\n',
    );
  });

  it('rejects a bad config file and a bad ERLMCP_* variable before starting anything, naming each key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-serve-'));
    const file = path.join(dir, 'erlmcp.json');
    fs.writeFileSync(file, JSON.stringify({ server: { port: 0 }, bucket: { capacity: 0 }, registry: { shard: 8 } }));
    const { code, err } = await refused(['--config', file], { ERLMCP_ADMISSION_MAX_GLOBAL: 'lots' });
    expect(code).toBe(2);
    expect(err).toContain('3 configuration problems');
    expect(err).toContain(`config key "bucket.capacity" (from ${file}) must be`);
    expect(err).toContain('"registry.shard"');
    expect(err).toContain('did you mean "registry.shards"');
    expect(err).toContain('ERLMCP_ADMISSION_MAX_GLOBAL');
    const missing = await refused(['--config', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(path.join(dir, 'nope.json'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves /health, /ready, /live and /metrics beside /mcp; /admin/crash-shard only with fault injection', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-serve-'));
    const file = path.join(dir, 'erlmcp.json');
    fs.writeFileSync(file, JSON.stringify({ registry: { shards: 4 }, debug: { faultInjection: true } }));
    const { url } = await startServe(['--config', file]);
    const origin = new URL(url).origin;
    const client = new McpClient({ name: 'cli-test', version: '1' });
    await client.connect(new WebSocketClientTransport(new URL(url.replace(/^http/, 'ws'))));
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'echo', arguments: { message: 'm' } });
    const health = (await (await fetch(`${origin}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'healthy', connections: 1, sessions: 1, queue_depth: 0 });
    expect((health.shards as { count: number }).count).toBe(4);
    expect((await fetch(`${origin}/ready`)).status).toBe(200);
    expect(await (await fetch(`${origin}/live`)).json()).toEqual({ live: true });
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    expect(metrics).toContain(
      'mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call",error_type=""} 3',
    );
    expect(metrics).toContain('erlmcp_sessions 1');
    const crash = await fetch(`${origin}/admin/crash-shard`, { method: 'POST' });
    expect(crash.status).toBe(200);
    // The crashed manager is restarted and the session keeps being served.
    expect(await client.callTool({ name: 'echo', arguments: { message: 'after' } })).toEqual({
      content: [{ type: 'text', text: 'after' }],
    });
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not serve /admin/crash-shard by default', async () => {
    const { url } = await startServe();
    const r = await fetch(`${new URL(url).origin}/admin/crash-shard`, { method: 'POST' });
    expect(r.status).toBe(404);
  });
});
