/** Tenants at a glance and the spend over time. */
import { tenantFigures } from '../derive.js';
import { amount } from '../format.js';
import type { State } from '../store.js';
import { SpendChart } from './SpendChart.js';

export function Overview({ state }: { state: State }) {
  const figures = tenantFigures(state.records);
  const ids = [...new Set([...state.tenants.map((t) => t.tenantId), ...figures.keys()])].filter(
    (t) => t !== '*',
  );
  const status = new Map(state.tenants.map((t) => [t.tenantId, t.status]));
  return (
    <section class="overview">
      <div class="tenants">
        <h2>Tenants</h2>
        {ids.length === 0 && <p class="empty">No tenants yet.</p>}
        {ids.map((id) => {
          const f = figures.get(id);
          return (
            <div class="tenant" key={id} data-tenant={id}>
              <strong>{id}</strong>
              <span class={`status status-${status.get(id) ?? 'ACTIVE'}`}>{status.get(id) ?? '—'}</span>
              <dl>
                <dt>decisions</dt>
                <dd>{f?.decisions ?? 0}</dd>
                <dt>denied</dt>
                <dd class={f?.denials ? 'deny' : ''}>{f?.denials ?? 0}</dd>
                <dt>capped</dt>
                <dd>{f?.capped ?? 0}</dd>
                <dt>spent</dt>
                <dd>{amount('USD_MICROCENTS', f?.spentUsd ?? 0)}</dd>
              </dl>
            </div>
          );
        })}
      </div>
      <SpendChart records={state.records} />
    </section>
  );
}
