/**
 * `erlmcp load` as a command: exit codes, option errors, refusing remote targets, running
 * against a server it did not start (with and without /health), and the files it writes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ECHO_MESSAGE } from '../../src/load/protocol.js';
import { CLI, cleanup, expectConsistent, runCli, runLoadReport, tempDir } from './run-cli.js';

const servers: ChildProcess[] = [];
const plain: http.Server[] = [];
afterEach(async () => {
  cleanup();
  for (const s of servers.splice(0)) s.kill('SIGKILL');
  await Promise.all(
    plain.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** `erlmcp serve --port 0` started by the test (no fault injection), and its URL. */
function startServe(): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const m = /"http":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"/.exec(buf);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`erlmcp serve exited with ${code}: ${buf}`)));
  });
}

describe('erlmcp load (command)', () => {
  it('prints its help with exit 0', async () => {
    const r = await runCli(['load', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--scenario NAME');
    expect(r.stdout).toContain('recovery   warm-up 1 s, baseline 5 s, overload 5 s');
    const top = await runCli(['--help']);
    expect(top.stdout).toContain('load               Load, stress and chaos scenarios');
    expect(top.stdout).toContain('--per-session-rate R');
  });

  it('exits 2 with the message and the usage on bad options', async () => {
    const r = await runCli(['load', '--sessions', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('erlmcp load: --sessions must be an integer in 1..1000000, got "many"');
    expect(r.stderr).toContain('load options (erlmcp load [--scenario NAME] [options]; docs/load.md):');
    const s = await runCli(['load', '--scenario', 'idle', '--rate', '5']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--rate does not apply to --scenario idle');
  });

  it('refuses a non-loopback URL without --allow-remote, before sending anything', async () => {
    const r = await runCli(['load', '--url', 'http://192.0.2.1:9999/mcp', '--duration', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--url http://192.0.2.1:9999/mcp is not a loopback address: load is only sent to another machine with --allow-remote',
    );
  });

  it('runs against --url, writing the JSON and HTML reports', async () => {
    const url = await startServe();
    const dir = tempDir();
    const json = path.join(dir, 'out', 'r.json');
    const html = path.join(dir, 'out', 'r.html');
    const r = await runCli([
      'load',
      '--url',
      url.replace(/^http/, 'ws'),
      '--sessions',
      '3',
      '--rate',
      '90',
      '--duration',
      '1',
      '--quiet',
      '--json',
      json,
      '--html',
      html,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expectConsistent(report);
    expect(report.target).toMatchObject({ url, transport: 'ws', startedByHarness: false });
    expect(report.summary.requests.ok).toBe(report.summary.requests.sent);
    const page = fs.readFileSync(html, 'utf8');
    expect(page.toLowerCase().startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<svg');
    expect(r.stdout).toContain('erlmcp load: custom');
  });

  it('chaos against a server without fault injection exits 2 and says why', async () => {
    const url = await startServe();
    const r = await runCli([
      'load',
      '--scenario',
      'chaos',
      '--url',
      url,
      '--sessions',
      '2',
      '--duration',
      '2',
      '--quiet',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `the chaos scenario needs fault injection: POST ${new URL('/admin/crash-shard', url).href} answered 404 ` +
        '(start the server with debug.faultInjection: true in its --config file)',
    );
  });

  it('works against a server without /health: server figures are null, with a warning', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(404).end();
    });
    const wss = new WebSocketServer({ server, handleProtocols: () => 'mcp' });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.method === 'initialize') ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: {} }));
        else if (msg.id !== undefined) {
          ws.send(
            JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: ECHO_MESSAGE }] } }),
          );
        }
      });
    });
    plain.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const { report, result } = await runLoadReport([
      '--url',
      url,
      '--sessions',
      '2',
      '--rate',
      '50',
      '--duration',
      '1',
    ]);
    expectConsistent(report);
    expect(report.summary.server).toBeNull();
    expect(report.timeline.every((w) => w.serverMemoryMb === null)).toBe(true);
    const warning = `server metrics unavailable: GET ${new URL('/health', url).href} answered HTTP 404`;
    expect(report.warnings).toContain(warning);
    expect(result.stderr).toContain(`warning: ${warning}`);
  });

  it('on SIGINT stops early, still reports, stops its server and exits 130', async () => {
    const dir = tempDir();
    const json = path.join(dir, 'r.json');
    const child = spawn(
      process.execPath,
      [CLI, 'load', '--duration', '30', '--sessions', '3', '--rate', '30', '--json', json],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    servers.push(child);
    let stderr = '';
    child.stdout?.resume();
    const progressed = new Promise<void>((resolve) => {
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        // The first progress line: the load is running.
        if (/\[\d+\.\ds\] sessions 3/.test(stderr)) resolve();
      });
    });
    await progressed;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('erlmcp load: interrupted, stopping (again to exit at once)');
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expectConsistent(report);
    expect(report.warnings).toContain('the run was interrupted before the scenario finished');
    expect(report.durationSec).toBeLessThan(30);
    // The server it started is gone.
    const gone = await new Promise<string>((resolve) => {
      http
        .get(new URL('/health', report.target.url), (res) => resolve(`HTTP ${res.statusCode}`))
        .on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
    });
    expect(gone).toBe('ECONNREFUSED');
  });

  it.runIf(process.platform === 'linux')('exits 1 and says so when its server dies during the run', async () => {
    const child = spawn(process.execPath, [CLI, 'load', '--duration', '30', '--sessions', '3', '--rate', '30'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    servers.push(child);
    let stderr = '';
    child.stdout?.resume();
    await new Promise<void>((resolve) => {
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        if (/\[\d+\.\ds\] sessions 3/.test(stderr)) resolve();
      });
    });
    const pid = child.pid as number;
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(kids).toHaveLength(1);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    process.kill(kids[0] as number, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(stderr).toContain('erlmcp load: the server exited (signal SIGKILL) during the run; its last log lines:');
  });

  it('fails with exit 1 when the target does not answer', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await runCli([
      'load',
      '--url',
      `http://127.0.0.1:${port}/mcp`,
      '--sessions',
      '2',
      '--duration',
      '1',
      '--quiet',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `erlmcp load: no session could be opened to http://127.0.0.1:${port}/mcp: failed: ECONNREFUSED (2)`,
    );
  });
});
