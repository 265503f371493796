/**
 * The Cycles Protocol v0 OpenAPI document as a test oracle: its
 * `components.schemas` compiled with Ajv (JSON Schema 2020-12, as OpenAPI 3.1
 * uses), its enums, and the HTTP status its prose pairs with each error code.
 *
 * The document is shared reference data kept next to the repository
 * (`../shared/spec/` from the repository root); it is read at test time and
 * never copied into the project.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (this file is `packages/core/test/support/openapi.ts`). */
export const REPO_ROOT = resolve(here, '../../../..');

/** The protocol's OpenAPI 3.1 document, next to the repository. */
export const SPEC_PATH = resolve(REPO_ROOT, '../shared/spec/cycles-protocol-v0.yaml');

/** Base URI the whole document is registered under, so `#/components/schemas/X` refs resolve. */
const SPEC_ID = 'https://cycles-protocol.test/v0/openapi.json';

// ajv-formats is CommonJS: depending on the loader the default import is the
// plugin itself or a namespace holding it as `default`.
const addFormats: FormatsPlugin =
  (formatsModule as unknown as { default?: FormatsPlugin }).default ??
  (formatsModule as unknown as FormatsPlugin);

type Json = Record<string, unknown>;

export interface OpenApiDocument extends Json {
  info: { description: string } & Json;
  components: { schemas: Record<string, Json> } & Json;
}

export interface Contract {
  spec: OpenApiDocument;
  /** Ajv's error text for `value` against `components.schemas[name]`; undefined when valid. */
  check(name: string, value: unknown): string | undefined;
  /** The `enum` of `components.schemas[name]`. */
  enumOf(name: string): string[];
  /**
   * Error code → the HTTP statuses the document's prose pairs with it
   * ("HTTP 409 with error=BUDGET_EXCEEDED", "409 IDEMPOTENCY_MISMATCH", …).
   */
  errorStatuses(): Map<string, Set<number>>;
}

export function loadSpec(path = SPEC_PATH): OpenApiDocument {
  return parseYaml(readFileSync(path, 'utf8')) as OpenApiDocument;
}

export function loadContract(path = SPEC_PATH): Contract {
  const spec = loadSpec(path);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's integer formats; the spec's amounts are int64.
  ajv.addFormat('int64', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 63,
  });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31,
  });
  ajv.addSchema({ ...spec, $id: SPEC_ID });

  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (name: string): ValidateFunction => {
    let validate = validators.get(name);
    if (!validate) {
      if (!spec.components.schemas[name]) throw new Error(`components.schemas.${name} is not in ${path}`);
      validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`);
      if (!validate) throw new Error(`Ajv could not compile components.schemas.${name}`);
      validators.set(name, validate);
    }
    return validate;
  };

  return {
    spec,
    check(name, value) {
      const validate = validatorOf(name);
      return validate(value)
        ? undefined
        : ajv.errorsText(validate.errors, { dataVar: name, separator: '\n' });
    },
    enumOf(name) {
      const values = spec.components.schemas[name]?.enum;
      if (!Array.isArray(values)) throw new Error(`components.schemas.${name} has no enum`);
      return values.map(String);
    },
    errorStatuses() {
      const codes = new Set(this.enumOf('ErrorCode'));
      const pairs = new Map<string, Set<number>>();
      const pattern = /\b([45]\d\d)\s+(?:with\s+)?(?:error=)?`?([A-Z][A-Z_]+)\b/g;
      for (const text of stringsIn(spec)) {
        for (const [, status, code] of text.matchAll(pattern)) {
          if (!code || !codes.has(code)) continue;
          const set = pairs.get(code) ?? new Set<number>();
          set.add(Number(status));
          pairs.set(code, set);
        }
      }
      return pairs;
    },
  };
}

/** Every string value in a parsed document (descriptions, mostly). */
function* stringsIn(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* stringsIn(v);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) yield* stringsIn(v);
}
