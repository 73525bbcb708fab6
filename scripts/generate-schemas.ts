/**
 * Writes schemas/*.schema.json and schemas/asyncapi.yaml from the zod contracts,
 * and schemas/openapi.json from the HTTP routes' schemas.
 * Run with `npm run schemas` after changing a contract or a route; the drift tests fail until then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { generatedSchemaFiles } from '../src/contracts/json-schema.js';
import { openApiFile } from '../src/app/http/openapi.js';

const root = new URL('../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
const files = generatedSchemaFiles(version);
for (const [name, content] of files) writeFileSync(new URL(`schemas/${name}`, root), content);
writeFileSync(new URL('schemas/openapi.json', root), await openApiFile(version));
console.log(`wrote ${files.size + 1} files to schemas/`);
