/** Spend per run and the runs' denials with their reasons; the reservations still open. */
import { openReservations, runsOf } from '../derive.js';
import { amount, clock } from '../format.js';
import type { AuditRecord } from '../types.js';

export function Runs({ records, onSelect }: { records: AuditRecord[]; onSelect: (id: string) => void }) {
  const runs = runsOf(records).slice(0, 50);
  const open = openReservations(records).slice(-50).reverse();
  return (
    <div class="columns">
      <section class="runs">
        <h2>Runs</h2>
        {runs.length === 0 && <p class="empty">No runs yet (calls with a run in their subject).</p>}
        <table>
          {runs.length > 0 && (
            <thead>
              <tr>
                <th>run</th>
                <th>calls</th>
                <th>spent</th>
                <th>denied</th>
              </tr>
            </thead>
          )}
          <tbody>
            {runs.map((run) => (
              <tr key={`${run.tenant}/${run.run}`} data-run={run.run}>
                <td>
                  {run.run}
                  <small>{run.tenant}</small>
                </td>
                <td>{run.calls}</td>
                <td>
                  {Object.entries(run.spent)
                    .map(([unit, n]) => amount(unit, n))
                    .join(' · ') || '—'}
                </td>
                <td class="denials">
                  {run.denials.length === 0 && '—'}
                  {run.denials.slice(-3).map((d) => (
                    <button
                      type="button"
                      class="link-button deny"
                      key={`${d.atMs}-${d.reservationId ?? d.action}`}
                      title={d.blockedScope ?? ''}
                      onClick={() => d.reservationId && onSelect(d.reservationId)}
                    >
                      {d.action}: {d.reasonCode}
                    </button>
                  ))}
                  {run.denials.length > 3 && <small>+{run.denials.length - 3} more</small>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="open">
        <h2>Open reservations</h2>
        {open.length === 0 && <p class="empty">None open.</p>}
        <ul>
          {open.map((r) => (
            <li key={r.reservationId}>
              <button type="button" class="link-button" onClick={() => onSelect(r.reservationId as string)}>
                {r.action?.name} · {r.estimate ? amount(r.estimate.unit, r.estimate.amount) : ''}
              </button>
              <small>
                {r.tenant} · {clock(r.atMs)}
              </small>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
