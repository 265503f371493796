/**
 * Budget templates and the degradation policy, in `templates` and
 * `settings`. Every change bumps `config_version`; each connection keeps the
 * compiled config it last read and reads it again only when the version it
 * finds (inside the transaction) has moved, so another process's change
 * applies to the very next call.
 */
import type { BudgetTemplate, DegradationPolicy } from '@governor/core';
import { type CompiledTemplate, compileTemplate } from '@governor/core/ledger';
import type { SqlDatabase, SqlStatement } from './driver.js';

export interface LedgerConfig {
  templates: CompiledTemplate[];
  degradation: DegradationPolicy | undefined;
}

export class ConfigRows {
  readonly #version: SqlStatement;
  readonly #bump: SqlStatement;
  readonly #templates: SqlStatement;
  readonly #addTemplate: SqlStatement;
  readonly #degradation: SqlStatement;
  readonly #setDegradation: SqlStatement;
  readonly #clearDegradation: SqlStatement;
  #cached: { version: string; config: LedgerConfig } | undefined;

  constructor(db: SqlDatabase) {
    this.#version = db.prepare("SELECT value FROM settings WHERE name = 'config_version'");
    this.#bump = db.prepare(
      `INSERT INTO settings (name, value) VALUES ('config_version', '1')
        ON CONFLICT (name) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
    );
    this.#templates = db.prepare('SELECT template FROM templates ORDER BY seq');
    this.#addTemplate = db.prepare('INSERT INTO templates (template) VALUES (?)');
    this.#degradation = db.prepare("SELECT value FROM settings WHERE name = 'degradation'");
    this.#setDegradation = db.prepare(
      "INSERT INTO settings (name, value) VALUES ('degradation', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    );
    this.#clearDegradation = db.prepare("DELETE FROM settings WHERE name = 'degradation'");
  }

  /** The current templates and degradation policy (call inside a transaction). */
  read(): LedgerConfig {
    const version = String(this.#version.get()?.value ?? '0');
    if (this.#cached?.version !== version) {
      const templates = this.#templates.all().map((r) => compileTemplate(JSON.parse(r.template as string)));
      const row = this.#degradation.get();
      const degradation = row ? (JSON.parse(row.value as string) as DegradationPolicy) : undefined;
      this.#cached = { version, config: { templates, degradation } };
    }
    return this.#cached.config;
  }

  /** Drop the cached config (after a rollback, which may have undone a version it saw). */
  forget(): void {
    this.#cached = undefined;
  }

  /** Append a validated template. */
  addTemplate(template: BudgetTemplate): void {
    this.#addTemplate.run(JSON.stringify(template));
    this.#bump.run();
  }

  /** Replace (or with undefined, remove) the validated degradation policy. */
  setDegradation(policy: DegradationPolicy | undefined): void {
    if (policy === undefined) this.#clearDegradation.run();
    else this.#setDegradation.run(JSON.stringify(policy));
    this.#bump.run();
  }
}
