import { request } from 'node:http';
import { Readable } from 'node:stream';

/**
 * A `fetch` whose every request opens a new TCP connection (no agent, `Connection: close`):
 * with N workers on a SO_REUSEPORT port, consecutive requests of one client land on workers
 * the kernel picks, as a 2025 session's requests do behind a connection-level balancer.
 */
export const freshFetch: typeof fetch = (input, init) =>
  new Promise((resolve, reject) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = { connection: 'close' };
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: init?.method ?? 'GET',
        headers,
        agent: false,
      },
      (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        const status = res.statusCode ?? 0;
        const nullBody = status === 204 || status === 205 || status === 304;
        const body = nullBody ? null : (Readable.toWeb(res) as ReadableStream);
        if (nullBody) res.resume();
        resolve(new Response(body, { status, headers: h }));
      },
    );
    req.once('error', reject);
    const signal = init?.signal;
    if (signal) {
      if (signal.aborted) req.destroy(new DOMException('aborted', 'AbortError'));
      const abort = () => req.destroy(new DOMException('aborted', 'AbortError'));
      signal.addEventListener('abort', abort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', abort));
    }
    const body = init?.body;
    if (body === undefined || body === null) req.end();
    else req.end(typeof body === 'string' ? body : Buffer.from(body as ArrayBuffer));
  });
