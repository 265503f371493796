/** Ask for the admin key, check it against the server, keep it for this browser tab. */
import { useState } from 'preact/hooks';
import { Api, ApiError } from '../api.js';

export const KEY_STORAGE = 'governor.adminKey';

export function Login({ onApi }: { onApi: (api: Api) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const api = new Api(key.trim());
    try {
      await api.tenants();
      sessionStorage.setItem(KEY_STORAGE, api.key);
      onApi(api);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401 ? 'That is not the admin key of this server.' : String(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit}>
        <h1>Governor console</h1>
        <p>The admin key of this server (X-Admin-API-Key). It stays in this tab only.</p>
        <input
          name="admin-key"
          type="password"
          autocomplete="off"
          placeholder="admin key"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy || key.trim() === ''}>
          Open
        </button>
        {error && <p class="error">{error}</p>}
      </form>
    </main>
  );
}
