// The layers of src/, lowest first (docs/architecture.md draws them). A folder
// imports only from folders of lower layers: an upward import fails the lint,
// as an import cycle fails madge.
export const layers = [['contracts'], ['domain'], ['ingest', 'pipeline'], ['config'], ['ops'], ['state', 'kafka'], ['service'], ['app'], ['cli']];
export const layerRules = layers.flatMap((folders, rank) => {
  const notBelow = layers.slice(rank).flat();
  return folders.map((folder) => {
    const forbidden = notBelow.filter((other) => other !== folder);
    return {
      files: [`src/${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': ['error', {
          patterns: [{
            regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
            message: `src/${folder} sits below ${forbidden.join(', ')}: import downwards only (docs/architecture.md, Layers).`,
          }],
        }],
      },
    };
  });
});
