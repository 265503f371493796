/** Tool calls paused for approval: approve or reject the pending ones; the rest show how they ended. */
import type { Api } from '../api.js';
import { amount, clock } from '../format.js';
import { refreshApprovals } from '../live.js';
import type { Store } from '../store.js';
import type { Approval } from '../types.js';

export function Approvals({ api, store, approvals }: { api: Api; store: Store; approvals: Approval[] }) {
  const decide = async (a: Approval, decision: 'approve' | 'reject') => {
    try {
      await api.decide(a, decision);
      store.set({ error: undefined });
    } catch (e) {
      store.set({ error: (e as Error).message });
    }
    await refreshApprovals(api, store).catch(() => {});
  };
  const pending = approvals.filter((a) => a.status === 'PENDING');
  const rest = approvals.filter((a) => a.status !== 'PENDING').slice(0, 10);
  return (
    <section class="approvals">
      <h2>Approvals {pending.length > 0 && <span class="count">{pending.length} waiting</span>}</h2>
      {approvals.length === 0 && <p class="empty">No tool call is waiting for approval.</p>}
      <table>
        <tbody>
          {[...pending, ...rest].map((a) => (
            <tr key={a.approvalId} data-approval={a.approvalId} data-status={a.status}>
              <td>
                {a.action.name}
                <small>{a.scopePath}</small>
              </td>
              <td>
                {amount(a.estimate.unit, a.estimate.amount)}
                <small>
                  {a.reasonCode}
                  {a.blockedScope ? ` at ${a.blockedScope}` : ''}
                </small>
              </td>
              <td>
                <span class={`status status-${a.status}`}>{a.status}</span>
                <small>{a.decidedBy ? `by ${a.decidedBy}` : `asked ${clock(a.createdAtMs)}`}</small>
              </td>
              <td class="actions">
                {a.status === 'PENDING' && (
                  <>
                    <button type="button" onClick={() => decide(a, 'approve')}>
                      Approve
                    </button>
                    <button type="button" class="danger" onClick={() => decide(a, 'reject')}>
                      Reject
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
