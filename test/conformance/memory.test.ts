import { ManualClock, MemoryAuthority } from '@governor/core';
import { describeLedgerConformance, type LedgerHarness } from '@governor/core/testing';

describeLedgerConformance('MemoryAuthority', async (options) => {
  const clock = new ManualClock();
  const h: LedgerHarness & { ledger: MemoryAuthority } = {
    ledger: new MemoryAuthority({ clock, ...options }),
    advanceClock: (ms) => clock.advance(ms),
    footprint: async () => JSON.stringify(h.ledger.snapshot()),
    // A restart keeps what a saved snapshot holds: through JSON, as a file would.
    restart: async () => {
      const saved = JSON.parse(JSON.stringify(h.ledger.snapshot()));
      h.ledger = MemoryAuthority.restore(saved, { clock, ...options });
    },
  };
  return h;
});
