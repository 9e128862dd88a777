// The Streamable HTTP ceiling: a plain node:http server that reads each POST body, JSON.parses
// it and answers the JSON-RPC result a 2026-07-28 MCP server gives for the echo tool (content,
// resultType, serverInfo in _meta), as one JSON body. No MCP logic: no header checks, no
// envelope validation, no tool lookup; whatever it costs over this is what MCP costs.
// bench/cores/echo-threads.mjs runs the same handler on N worker threads.
import http from 'node:http';
import { listenLoopback } from './loopback.mjs';

const SERVER_INFO = { name: 'ceiling', version: '1.0.0' };

/**
 * The echo, as a node:http request listener.
 * @param {http.IncomingMessage} req @param {http.ServerResponse} res
 */
export function echoHttp(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let msg;
    try {
      msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    if (msg?.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const result = {
      content: [{ type: 'text', text: msg.params?.arguments?.message }],
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO },
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
  });
}

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  if (transport !== 'http') throw new Error(`ceiling-http serves Streamable HTTP only, not ${transport}`);
  return listenLoopback(http.createServer(echoHttp));
}
