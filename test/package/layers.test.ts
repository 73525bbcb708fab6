// The layer rule of eslint.layers.js: an import that points up the layers fails
// the lint (npm test runs it), one that points down passes. Linted as text with
// only the layer rules, so the check does not need the type-aware project.
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module without types
import { layerRules, layers } from '../../eslint.layers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function messagesFor(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...(layerRules as Linter.Config[])],
  });
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${file}` });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('layers that only point down', () => {
  it('lists every folder of src exactly once', async () => {
    const { readdirSync } = await import('node:fs');
    const folders = readdirSync(`${ROOT}/src`, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect((layers as string[][]).flat().sort()).toEqual(folders.sort());
  });

  it('refuses an upward import, type-only and from a nested folder included', async () => {
    expect(await messagesFor('src/state/probe.ts', "import { x } from '../service/stream-runner.js';\nexport const y = x;\n"))
      .toEqual([expect.stringContaining('src/state sits below kafka, service, app, cli')]);
    expect(await messagesFor('src/domain/models/probe.ts', "import type { Settings } from '../../config/settings.js';\nexport type S = Settings;\n"))
      .toEqual([expect.stringContaining('src/domain sits below')]);
    expect(await messagesFor('src/ops/probe.ts', "import { a } from '../app/http/http-server.js';\nexport const b = a;\n"))
      .toEqual([expect.stringContaining('src/ops sits below')]);
  });

  it('refuses an import between two folders of one layer', async () => {
    expect(await messagesFor('src/kafka/probe.ts', "import { k } from '../state/keys.js';\nexport const j = k;\n"))
      .toEqual([expect.stringContaining('src/kafka sits below')]);
  });

  it('lets an import point down or stay in its folder', async () => {
    expect(await messagesFor('src/service/probe.ts', "import { k } from '../state/keys.js';\nimport { w } from './partition-processor.js';\nexport const j = [k, w];\n")).toEqual([]);
    expect(await messagesFor('src/app/http/probe.ts', "import { c } from '../customer-lookup.js';\nimport { d } from '../../domain/config.js';\nexport const e = [c, d];\n")).toEqual([]);
  });

  it('keeps the partition driver free of a Kafka client, and only it among the service files', async () => {
    expect(await messagesFor('src/service/partition-driver.ts', "import type { Consumer } from 'kafkajs';\nexport type C = Consumer;\n"))
      .toEqual([expect.stringContaining('the partition driver takes no Kafka client')]);
    expect(await messagesFor('src/service/partition-driver.ts', "import { partitionOfKey } from '../kafka/key-partition.js';\nexport const f = partitionOfKey;\n"))
      .toEqual([expect.stringContaining('the partition driver takes no Kafka client')]);
    expect(await messagesFor('src/service/partition-driver.ts', "import { x } from '../app/replay.js';\nexport const y = x;\n"))
      .toEqual([expect.stringContaining('src/service sits below')]);
    expect(await messagesFor('src/service/fetch-intake.ts', "import type { Consumer } from 'kafkajs';\nexport type C = Consumer;\n")).toEqual([]);
  });
});
