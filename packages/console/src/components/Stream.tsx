/** The decision stream as the server pushes it, newest first. */
import { useState } from 'preact/hooks';
import { amountOf } from '../derive.js';
import { amount, clock, leaf } from '../format.js';
import { recordKey, type State } from '../store.js';
import type { AuditRecord } from '../types.js';

const SHOWN = 200;

const toneOf = (r: AuditRecord) =>
  r.decision === 'DENY'
    ? 'deny'
    : r.decision === 'ALLOW_WITH_CAPS'
      ? 'capped'
      : r.decision
        ? 'allow'
        : 'change';

export function Stream({ state, onSelect }: { state: State; onSelect: (id: string) => void }) {
  const [decisionsOnly, setDecisionsOnly] = useState(false);
  const rows: AuditRecord[] = [];
  for (let i = state.records.length - 1; i >= 0 && rows.length < SHOWN; i--) {
    const r = state.records[i] as AuditRecord;
    if (!decisionsOnly || r.decision) rows.push(r);
  }
  return (
    <section class="stream">
      <h2>
        Live decisions
        <label class="toggle">
          <input
            type="checkbox"
            checked={decisionsOnly}
            onChange={(e) => setDecisionsOnly((e.target as HTMLInputElement).checked)}
          />{' '}
          decisions only
        </label>
      </h2>
      {rows.length === 0 && <p class="empty">Waiting for the first call…</p>}
      <ol>
        {rows.map((r) => {
          const key = recordKey(r);
          const moved = amountOf(r);
          const received = state.receivedAt.get(key);
          return (
            <li
              key={key}
              class={`event event-${toneOf(r)}`}
              data-operation={r.operation}
              data-decision={r.decision ?? ''}
              data-reservation={r.reservationId ?? ''}
              data-received-at={received ?? ''}
            >
              <button
                type="button"
                class="row"
                disabled={!r.reservationId}
                onClick={() => r.reservationId && onSelect(r.reservationId)}
              >
                <time>{clock(r.atMs)}</time>
                <span class="op">{r.decision ?? r.operation}</span>
                <span class="what">
                  {r.decision ? `${r.operation} ` : ''}
                  <b>{r.action?.name ?? ''}</b> {r.scopePath ? leaf(r.scopePath) : ''}
                  {r.reasonCode && <em> {r.reasonCode}</em>}
                </span>
                <span class="amount">{moved ? amount(moved.unit, moved.amount) : ''}</span>
                <span class="who">{r.tenant}</span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
