/**
 * The JSON Schema validator the registry client compiles registered schemas
 * with. The client's default is one Ajv for draft-07 only, which cannot compile
 * clvstream's own schemas (draft 2020-12) and keeps every compiled `$id`, so a
 * subject's second version (same `$id`) would not compile. Here each schema gets
 * a fresh Ajv of its draft: 2020-12 when it says so, draft-07 otherwise.
 * `format` keywords are not asserted (strict: false): the contracts check dates.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

const OPTIONS: Options = { strict: false, allErrors: true, validateFormats: false };
const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

export const perSchemaAjv = {
  compile(schema: unknown): ValidateFunction {
    const draft = (schema as { $schema?: unknown } | null)?.$schema;
    const ajv = typeof draft === 'string' && draft.startsWith(DRAFT_2020_12) ? new Ajv2020(OPTIONS) : new Ajv(OPTIONS);
    return ajv.compile(schema as object);
  },
  addSchema(): never {
    throw new Error('schema references are not supported for JSON Schema subjects');
  },
};
