// The listen-and-stop part every plain node:http bench server shares: bind 127.0.0.1 on a free
// port, report the MCP endpoint URL, and on close run the server's own cleanup first (its
// sessions, its handler), then drop every connection and close the socket.
/**
 * @param {import('node:http').Server} server
 * @param {() => Promise<unknown>} [beforeClose]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function listenLoopback(server, beforeClose) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    close: async () => {
      await beforeClose?.();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
