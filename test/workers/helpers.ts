import { request } from 'node:http';

/** GET `path` on a fresh TCP connection (no agent, `Connection: close`): the status code. */
export function freshGet(port: number, path = '/health'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

/** `n` fresh connections, `concurrency` at a time: every status code. */
export async function freshGets(port: number, n: number, concurrency = 20): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - i) }, () => freshGet(port));
    codes.push(...(await Promise.all(batch)));
  }
  return codes;
}
