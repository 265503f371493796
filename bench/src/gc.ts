/** Full garbage collections on demand, for the benchmarks that time or weigh what is alive. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** One full GC. */
export const gc = runInNewContext('gc') as () => void;

/**
 * Full GCs until memory is what is alive: external backing stores (typed
 * arrays) are freed after the collection that finds them dead, so what an
 * earlier measurement left would otherwise still count.
 */
export async function settleMemory(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
