/** The page: the key first, then the dashboard on a live connection. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from '../api.js';
import { connect } from '../live.js';
import { Store, useStore } from '../store.js';
import { Approvals } from './Approvals.js';
import { Budgets } from './Budgets.js';
import { KEY_STORAGE, Login } from './Login.js';
import { Overview } from './Overview.js';
import { Reservation } from './Reservation.js';
import { Runs } from './Runs.js';
import { Stream } from './Stream.js';

export function App() {
  const [api, setApi] = useState<Api | undefined>(() => {
    const key = sessionStorage.getItem(KEY_STORAGE);
    return key ? new Api(key) : undefined;
  });
  if (!api) return <Login onApi={setApi} />;
  const signOut = () => {
    sessionStorage.removeItem(KEY_STORAGE);
    setApi(undefined);
  };
  return <Dashboard api={api} onSignOut={signOut} />;
}

const LINK_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  failed: 'offline',
};

function Dashboard({ api, onSignOut }: { api: Api; onSignOut: () => void }) {
  const store = useMemo(() => new Store(), []);
  const state = useStore(store);
  useEffect(() => {
    const controller = new AbortController();
    void connect(api, store, controller.signal);
    return () => controller.abort();
  }, [api, store]);
  const select = (id: string | undefined) => store.set({ selected: id });
  return (
    <div class="page">
      <header>
        <h1>Governor</h1>
        <span class={`link link-${state.link}`} data-link={state.link}>
          {LINK_TEXT[state.link]}
        </span>
        {state.error && <span class="error">{state.error}</span>}
        <button type="button" class="quiet" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <Overview state={state} />
      <Approvals api={api} store={store} approvals={state.approvals} />
      <div class="columns">
        <Budgets api={api} store={store} budgets={state.budgets} />
        <Stream state={state} onSelect={select} />
      </div>
      <Runs records={state.records} onSelect={select} />
      {state.selected && (
        <Reservation
          api={api}
          id={state.selected}
          records={state.records}
          onClose={() => select(undefined)}
        />
      )}
    </div>
  );
}
