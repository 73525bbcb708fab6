/**
 * Writes schemas/*.schema.json and schemas/asyncapi.yaml from the zod contracts.
 * Run with `npm run schemas` after changing a contract; the drift test fails until then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { generatedSchemaFiles } from '../src/contracts/json-schema.js';

const root = new URL('../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
const files = generatedSchemaFiles(version);
for (const [name, content] of files) writeFileSync(new URL(`schemas/${name}`, root), content);
console.log(`wrote ${files.size} files to schemas/`);
