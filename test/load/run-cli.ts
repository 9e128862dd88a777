/** Runs `node dist/cli/erlmcp.js load ...` for the integration tests and reads its JSON report. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { LoadReport } from '../../src/load/report.js';
import { ERROR_KINDS, validateReport } from '../../src/load/report.js';

export const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'erlmcp.js');

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Kills what {@link runCli} started and removes its files (call from afterEach). */
export function cleanup(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A fresh temporary directory, removed by {@link cleanup}. */
export function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-load-test-'));
  dirs.push(d);
  return d;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` and resolves when it exits. */
export function runCli(args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((resolve) => {
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `erlmcp load ARGS --quiet --json FILE`, expects exit 0 and returns the report. */
export async function runLoadReport(args: string[]): Promise<{ report: LoadReport; result: CliResult }> {
  const file = path.join(tempDir(), 'report.json');
  const result = await runCli(['load', ...args, '--quiet', '--json', file]);
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as LoadReport;
  return { report, result };
}

/** What every report must satisfy: valid, counts adding up, percentiles ordered, nothing lost or duplicated. */
export function expectConsistent(report: LoadReport): void {
  expect(validateReport(report)).toEqual([]);
  const s = report.summary;
  const errors = ERROR_KINDS.reduce((n, k) => n + s.requests.errors[k], 0);
  expect(s.requests.sent).toBe(s.requests.ok + errors + s.requests.lost);
  expect(s.sessions.attempted).toBe(s.sessions.established + s.sessions.refused + s.sessions.failed);
  for (const l of [s.latencyMs, s.rejectLatencyMs]) {
    if (l === null) continue;
    expect(l.p50).toBeLessThanOrEqual(l.p95);
    expect(l.p95).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.p999);
    expect(l.p999).toBeLessThanOrEqual(l.max);
  }
  expect(s.requests.lost).toBe(0);
  expect(s.requests.duplicated).toBe(0);
}
