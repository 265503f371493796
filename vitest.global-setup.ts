// Vitest 5's reporters call Map.groupBy, which Node 20 lacks (added in Node 21):
// without this, a failing test on Node 20 crashes the reporter instead of
// printing the failure. Runs once in the main process, before any reporter.
export default function setup(): void {
  if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
    Object.defineProperty(Map, 'groupBy', {
      configurable: true,
      writable: true,
      value<K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, V[]> {
        const groups = new Map<K, V[]>();
        let i = 0;
        for (const item of items) {
          const k = key(item, i++);
          const group = groups.get(k);
          if (group) group.push(item);
          else groups.set(k, [item]);
        }
        return groups;
      },
    });
  }
}
