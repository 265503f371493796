/**
 * The watch loop: a snapshot (balances and the latest records), then every
 * record as it comes. On a terminal the screen is redrawn (at most every
 * 200 ms); elsewhere each record is one line, and the balances are printed
 * again when the watch ends.
 */
import type { AuditRecord, BudgetInfo } from '@governor/core';
import { budgetTable, sortBudgets } from '../format.js';
import type { Io } from '../io.js';
import { recordLine, screen } from './render.js';
import { POLL_MS, recent, type WatchSource } from './source.js';

export interface WatchOptions {
  tenant?: string | undefined;
  /** Records kept on screen. */
  lines: number;
  once: boolean;
  signal?: AbortSignal | undefined;
}

const table = (budgets: BudgetInfo[], color: boolean) =>
  budgets.length === 0 ? ['No budgets.'] : budgetTable(sortBudgets(budgets), color);

export async function watch(source: WatchSource, io: Io, options: WatchOptions): Promise<void> {
  const color = io.color === true;
  const terminal = io.progress !== undefined && !options.once;
  const header = `governor watch — ${source.where}${options.tenant ? ` (tenant ${options.tenant})` : ''}`;
  const { records, cursor } = await recent(source, options.tenant, options.lines);
  let budgets = await source.budgets(options.tenant);
  const shown = records.map((r) => recordLine(r, color));

  if (!terminal) {
    for (const line of table(budgets, color)) io.out(line);
    io.out('');
    io.out(options.once ? 'Latest decisions:' : 'Decisions (as they happen):');
    for (const line of shown) io.out(line);
    if (options.once) return;
  }

  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  // Balances are read again after a burst of records, at most every POLL_MS.
  let redraw: NodeJS.Timeout | undefined;
  const refresh = () => {
    redraw ??= setTimeout(async () => {
      redraw = undefined;
      budgets = await source.budgets(options.tenant).catch(() => budgets);
      if (terminal && !controller.signal.aborted) io.out(screen(header, table(budgets, color), shown));
    }, POLL_MS);
  };
  if (terminal) io.out(screen(header, table(budgets, color), shown));
  try {
    for await (const record of source.follow(
      cursor,
      options.tenant,
      controller.signal,
    ) as AsyncIterable<AuditRecord>) {
      const line = recordLine(record, color);
      shown.push(line);
      if (shown.length > options.lines) shown.shift();
      if (!terminal) io.out(line);
      refresh();
    }
  } finally {
    clearTimeout(redraw);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    options.signal?.removeEventListener('abort', stop);
  }
  if (!terminal) {
    io.out('');
    for (const line of table(await source.budgets(options.tenant), color)) io.out(line);
  }
}
