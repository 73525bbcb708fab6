import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generatedSchemaFiles } from '../../src/contracts/json-schema.js';
import { TOPIC_CONTRACTS } from '../../src/contracts/topics.js';
import { openApiDocument, openApiFile } from '../../src/app/http/openapi.js';

const root = new URL('../../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
const expected = generatedSchemaFiles(version);

describe('schemas/ is generated from the zod contracts', () => {
  it.each([...expected.keys()])('%s matches the contracts (run `npm run schemas` after changing one)', (name) => {
    const onDisk = readFileSync(new URL(`schemas/${name}`, root), 'utf8');
    expect(onDisk).toBe(expected.get(name));
  });

  it('holds no stale schema for a topic that no longer exists', () => {
    expect(readdirSync(new URL('schemas/', root)).sort()).toEqual([...expected.keys(), 'openapi.json'].sort());
  });

  it('openapi.json matches the HTTP routes (run `npm run schemas` after changing a route)', async () => {
    expect(readFileSync(new URL('schemas/openapi.json', root), 'utf8')).toBe(await openApiFile(version));
  });
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1, lists every data route behind the bearer token and the probes open', async () => {
    const doc = (await openApiDocument(version)) as {
      openapi: string;
      security: unknown[];
      paths: Record<string, { get: { security?: unknown[]; responses: Record<string, unknown> } }>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/customers/{id}', '/customers/{id}/details', '/healthz', '/lost-customers', '/metrics', '/model', '/readyz', '/reports/{name}', '/segments', '/status']);
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/healthz']!.get.security).toEqual([]);
    expect(doc.paths['/readyz']!.get.security).toEqual([]);
    expect(doc.paths['/customers/{id}']!.get.security).toBeUndefined();
    expect(Object.keys(doc.paths['/customers/{id}']!.get.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404', '503']));
    expect(Object.keys((doc.paths['/lost-customers']!.get.responses['200'] as { content: object }).content).sort()).toEqual(['application/json', 'text/csv']);
  });
});

describe('the AsyncAPI document', () => {
  const doc = parseYaml(readFileSync(new URL('schemas/asyncapi.yaml', root), 'utf8')) as {
    asyncapi: string;
    channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
    operations: Record<string, { action: string; channel: { $ref: string } }>;
    components: { messages: Record<string, { payload: { $ref?: string; schemaFormat?: string; schema?: { $ref: string } } }> };
  };

  it('is AsyncAPI 3 and describes every topic: in, out, dead-letter and internal', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = Object.values(doc.channels).map((c) => c.address);
    expect(addresses.sort()).toEqual(TOPIC_CONTRACTS.map((t) => t.defaultTopic).sort());
    const roles = new Set(TOPIC_CONTRACTS.map((t) => t.role));
    expect([...roles].sort()).toEqual(['dead-letter', 'inbound', 'internal', 'outbound']);
  });

  it('receives inbound topics, sends outbound ones and both sends and receives the internal topic', () => {
    const actions = (channel: string) =>
      Object.values(doc.operations)
        .filter((op) => op.channel.$ref === `#/channels/${channel}`)
        .map((op) => op.action)
        .sort();
    expect(actions('purchase')).toEqual(['receive']);
    expect(actions('segmentChanged')).toEqual(['send']);
    expect(actions('deadLetter')).toEqual(['send']);
    expect(actions('internal')).toEqual(['receive', 'send']);
  });

  it('points every message payload at a schema file that exists', () => {
    for (const message of Object.values(doc.components.messages)) {
      const file = (message.payload.$ref ?? message.payload.schema?.$ref ?? '').replace('./', '');
      expect(expected.has(file), file).toBe(true);
    }
  });

  it('names an Avro schema for every topic but the internal one', () => {
    const avro = Object.values(doc.components.messages).filter((m) => m.payload.schemaFormat?.startsWith('application/vnd.apache.avro'));
    expect(avro.map((m) => m.payload.schema?.$ref).sort()).toEqual(
      TOPIC_CONTRACTS.filter((t) => t.role !== 'internal')
        .map((t) => `./${t.id}.avsc`)
        .sort(),
    );
  });
});
