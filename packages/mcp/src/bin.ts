#!/usr/bin/env node
import { main } from './proxy/main.js';

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`governor-mcp-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
