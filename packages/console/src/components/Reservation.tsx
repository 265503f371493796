/** One reservation: the explain answer (decision, rule, balances before and after), its records, force-release. */
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { amountOf, openReservations } from '../derive.js';
import { amount, clock } from '../format.js';
import type { AuditRecord, Explanation } from '../types.js';

interface Props {
  api: Api;
  id: string;
  records: AuditRecord[];
  onClose: () => void;
}

export function Reservation({ api, id, records, onClose }: Props) {
  const [explanation, setExplanation] = useState<Explanation>();
  const [error, setError] = useState<string>();
  const mine = records.filter((r) => r.reservationId === id);
  const isOpen = openReservations(mine).length > 0;
  useEffect(() => {
    let stale = false;
    api
      .explain(id)
      .then((answer) => {
        if (stale) return;
        setExplanation(answer);
        setError(undefined);
      })
      .catch((e: Error) => {
        if (!stale) setError(e.message);
      });
    return () => {
      stale = true;
    };
  }, [api, id, mine.length]);
  const release = async () => {
    try {
      await api.release(id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const e = explanation;
  return (
    <aside class="reservation" data-reservation={id}>
      <header>
        <h2>Reservation</h2>
        <code>{id}</code>
        <button type="button" class="quiet" onClick={onClose}>
          Close
        </button>
      </header>
      {error && <p class="error">{error}</p>}
      {e && (
        <>
          <p class={`decision decision-${e.decision}`}>
            <b>{e.decision}</b> {e.reasonCode && <em>{e.reasonCode}</em>} at {clock(e.decidedAtMs)}
          </p>
          <p class="rule">{e.rule}</p>
          {e.caps && <pre class="caps">{JSON.stringify(e.caps, null, 2)}</pre>}
          <table>
            <thead>
              <tr>
                <th>scope</th>
                <th>before</th>
                <th>after</th>
                <th>in use</th>
              </tr>
            </thead>
            <tbody>
              {e.scopes.map((s) => (
                <tr key={`${s.scope} ${s.unit}`} class={s.blocked ? 'deny' : ''}>
                  <td>
                    {s.scope}
                    <small>
                      {s.unit} · {s.status}
                      {s.blocked ? ' · decided the DENY' : ''}
                    </small>
                  </td>
                  <td>{amount(s.unit, s.before.remaining)} left</td>
                  <td>{amount(s.unit, s.after.remaining)} left</td>
                  <td>{s.utilisationPercent} %</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Records</h3>
          <ol class="records">
            {e.records.map((r) => {
              const moved = amountOf(r);
              return (
                <li key={r.id}>
                  <time>{clock(r.atMs)}</time> <b>{r.operation}</b> {r.decision ?? ''}{' '}
                  {moved ? amount(moved.unit, moved.amount) : ''} <small>{r.actor ?? ''}</small>
                </li>
              );
            })}
          </ol>
        </>
      )}
      {isOpen && (
        <button type="button" class="danger" onClick={release}>
          Force release
        </button>
      )}
    </aside>
  );
}
