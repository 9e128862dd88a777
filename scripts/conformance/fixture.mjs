// The server under test: a script (test/conformance/everything-server.mjs by default) that
// listens on 127.0.0.1, port 0, and prints {"url": ...} on its first stdout line. It runs on the
// default node (process.execPath), the one erlmcp is tested on; only the suite runs on Node 22.
import { spawn } from 'node:child_process';

const FIXTURE_READY_MS = 15_000;

/** Starts the fixture; `ready` resolves with its URL once it prints {"url": ...}. */
export function startFixture(file, cwd) {
  const child = spawn(process.execPath, [file], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-16_384);
  });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`the fixture did not start within ${FIXTURE_READY_MS} ms`)),
      FIXTURE_READY_MS,
    );
    child.stdout.setEncoding('utf8');
    const onData = (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume(); // keep draining whatever else it prints
      try {
        resolve(JSON.parse(out.slice(0, nl)).url);
      } catch {
        reject(new Error(`the fixture printed ${JSON.stringify(out.slice(0, nl))} instead of {"url": ...}`));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the fixture exited (${signal ?? code}) before it was ready`));
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return { child, ready, stderr: () => stderr, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopProcess(child, graceMs = 3_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
