/**
 * `erlmcp serve` as users run it (`npm start`): a child process serving the demo toolset,
 * stopped by SIGTERM with a request in flight that must still be answered.
 */
import { type ChildProcess, spawn } from 'node:child_process';
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

  it('rejects bad flags with exit code 2 and a message naming the flag', async () => {
    const child = spawn(process.execPath, [cli, 'serve', '--port', 'abc'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    expect(await exitOf(child)).toBe(2);
    expect(err).toContain('--port must be an integer in 0..65535, got "abc"');
  });
});
