import { ManualClock, MemoryAuthority } from '@governor/core';
import { describeLedgerConformance } from '@governor/core/testing';

describeLedgerConformance('MemoryAuthority', async () => {
  const clock = new ManualClock();
  return { ledger: new MemoryAuthority({ clock }), advanceClock: (ms) => clock.advance(ms) };
});
