// The layers of src/, lowest first (docs/architecture.md draws them). A folder
// imports only from folders of lower layers: an upward import fails the lint,
// as an import cycle fails madge.
export const layers = [['contracts'], ['domain'], ['ingest', 'pipeline'], ['config'], ['ops'], ['state', 'kafka'], ['service'], ['app'], ['cli']];
// The partition driver and what it takes as parameters reach no Kafka client,
// so they are unit-tested without servers (test/service/partition-driver.test.ts).
export const kafkaFree = ['src/service/partition-driver.ts', 'src/service/retry.ts', 'src/service/scheduler.ts'];
const withoutKafka = [
  { group: ['kafkajs', 'kafkajs/*'], message: 'the partition driver takes no Kafka client: pass what it needs as a parameter (src/service/partition-driver.ts).' },
  { regex: '^(\\.\\./)+kafka/', message: 'the partition driver takes no Kafka client: pass what it needs as a parameter (src/service/partition-driver.ts).' },
];
export const layerRules = layers.flatMap((folders, rank) => {
  const notBelow = layers.slice(rank).flat();
  return folders.flatMap((folder) => {
    const forbidden = notBelow.filter((other) => other !== folder);
    const upward = {
      regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
      message: `src/${folder} sits below ${forbidden.join(', ')}: import downwards only (docs/architecture.md, Layers).`,
    };
    const rule = (patterns) => ({ rules: { 'no-restricted-imports': ['error', { patterns }] } });
    const own = kafkaFree.filter((file) => file.startsWith(`src/${folder}/`));
    // A later block replaces the rule for its files, so it repeats the layer pattern.
    return [{ files: [`src/${folder}/**/*.ts`], ...rule([upward]) }, ...(own.length > 0 ? [{ files: own, ...rule([upward, ...withoutKafka]) }] : [])];
  });
});
