/** The server under load, in its own process: `governor serve` on Redis, printing its URL. */
import { openServer } from '@governor/server';

const [redis, keyPrefix, adminKey] = process.argv.slice(2) as [string, string, string];
const server = await openServer({ redis, keyPrefix, adminKey, rateLimit: false });
const url = await server.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`URL ${url}\n`);
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
