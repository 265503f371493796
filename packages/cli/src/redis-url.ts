/** Redis URLs from the command line: checked before anything connects, and shown without their password. */
import { UsageError } from './args.js';

/** The URL, or a UsageError naming it unless it is `redis://` or `rediss://` with a host. */
export function checkRedisUrl(text: string, flag = '--redis'): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new UsageError(
      `${flag}: "${text}" is not a Redis URL; expected redis://host[:port][/db] or rediss://… (e.g. redis://127.0.0.1:6379)`,
    );
  }
  return url;
}

/** The URL as it may be printed: any password replaced by `***`. */
export function shownUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return text;
  }
}
