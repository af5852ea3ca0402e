// A loopback TCP proxy that hands the server's bytes to the client in tiny pieces, each in
// its own write, so a client meets replies and end-of-data markers cut across reads.
import net from 'node:net';

export interface SplittingProxy {
  readonly port: number;
  close(): Promise<void>;
}

/** Pieces of 1, 2, 3... up to `largest` bytes, cycling: every boundary position gets hit. */
export async function splittingProxy(targetPort: number, largest = 3): Promise<SplittingProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let queue = Promise.resolve();
    let size = 0;
    upstream.on('data', (chunk: Buffer) => {
      queue = queue.then(async () => {
        for (let at = 0; at < chunk.length;) {
          size = (size % largest) + 1;
          client.write(chunk.subarray(at, at + size));
          at += size;
          await new Promise((resolve) => setImmediate(resolve));
        }
      });
    });
    client.on('data', (chunk) => upstream.write(chunk));
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('close', end);
    upstream.on('close', () => void queue.then(end));
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
