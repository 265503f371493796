// Part of `build`: the operator console's built files (packages/console/dist) into dist/console,
// so a packed @governor/server serves them without the private console package.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../console/dist/', import.meta.url));
const to = fileURLToPath(new URL('../dist/console/', import.meta.url));
if (!existsSync(`${from}index.html`)) {
  console.error(`@governor/server build: the console is not built (${from}): build packages/console first`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
