/** Every budget with its utilisation bar and status; fund, freeze and unfreeze from here. */
import { useState } from 'preact/hooks';
import type { Api } from '../api.js';
import { utilisation } from '../derive.js';
import { amount, parseAmount } from '../format.js';
import { refresh } from '../live.js';
import type { Store } from '../store.js';
import type { BudgetInfo } from '../types.js';

const order = (a: BudgetInfo, b: BudgetInfo) =>
  a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0;

export function Budgets({ api, store, budgets }: { api: Api; store: Store; budgets: BudgetInfo[] }) {
  const act = async (work: Promise<unknown>) => {
    try {
      await work;
      store.set({ error: undefined });
    } catch (e) {
      store.set({ error: (e as Error).message });
    }
    await refresh(api, store).catch(() => {});
  };
  return (
    <section class="budgets">
      <h2>Budgets</h2>
      {budgets.length === 0 && <p class="empty">No budgets.</p>}
      <table>
        <tbody>
          {[...budgets].sort(order).map((b) => (
            <BudgetRow key={`${b.scope} ${b.unit}`} budget={b} api={api} act={act} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function BudgetRow({
  budget: b,
  api,
  act,
}: {
  budget: BudgetInfo;
  api: Api;
  act: (work: Promise<unknown>) => Promise<void>;
}) {
  const [funding, setFunding] = useState(false);
  const [text, setText] = useState('');
  const used = utilisation(b);
  const spentShare = b.allocated > 0 ? Math.min(1, (b.spent + b.debt) / b.allocated) : 0;
  const tone = b.status !== 'ACTIVE' || used >= 1 ? 'deny' : used >= 0.8 ? 'warn' : 'ok';
  const fund = (event: Event) => {
    event.preventDefault();
    const value = parseAmount(b.unit, text);
    if (value === undefined) return;
    setFunding(false);
    setText('');
    void act(api.fund(b.scope, b.unit, value));
  };
  return (
    <tr data-scope={b.scope} data-unit={b.unit} data-status={b.status} data-spent={b.spent}>
      <td class="scope" title={b.scope}>
        {b.scope.split('/').map((level, i) => (
          <span key={level}>
            {i > 0 && '/'}
            <wbr />
            {level}
          </span>
        ))}
        <small>{b.unit}</small>
      </td>
      <td class="bar-cell">
        <div
          class={`bar bar-${tone}`}
          title={`${Math.round(used * 100)} % in use`}
          data-utilisation={used.toFixed(4)}
        >
          <span class="spent" style={{ width: `${spentShare * 100}%` }} />
          <span class="reserved" style={{ width: `${Math.max(0, used - spentShare) * 100}%` }} />
        </div>
        <small>
          {amount(b.unit, b.spent)} spent · {amount(b.unit, b.reserved)} reserved ·{' '}
          {amount(b.unit, b.remaining)} left of {amount(b.unit, b.allocated)}
        </small>
      </td>
      <td>
        <span class={`status status-${b.status}`}>{b.status}</span>
      </td>
      <td class="actions">
        {funding ? (
          <form onSubmit={fund}>
            <input
              name="amount"
              size={8}
              placeholder={b.unit === 'USD_MICROCENTS' ? '$' : 'amount'}
              value={text}
              onInput={(e) => setText((e.target as HTMLInputElement).value)}
            />
            <button type="submit" disabled={parseAmount(b.unit, text) === undefined}>
              Add
            </button>
          </form>
        ) : (
          <button
            type="button"
            class="quiet"
            disabled={b.status === 'CLOSED'}
            onClick={() => setFunding(true)}
          >
            Fund
          </button>
        )}
        {b.status !== 'CLOSED' && (
          <button type="button" onClick={() => act(api.setFrozen(b.scope, b.unit, b.status === 'ACTIVE'))}>
            {b.status === 'FROZEN' ? 'Unfreeze' : 'Freeze'}
          </button>
        )}
      </td>
    </tr>
  );
}
