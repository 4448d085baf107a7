// The folders depend one way: server → agent → tools → knowledge → db, and all
// of them may use lib/, which depends on nothing of ours. Command-line entry
// points (*-cli.ts), bench/ and test/ compose the layers and may use any.
const layers = ['server', 'agent', 'tools', 'knowledge', 'db']
const below = (index) => layers.slice(index + 1)
const above = (index) => layers.slice(0, index)
const entryPoint = '(^|/)[^/]+-cli\\.ts$'

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Modules must not import each other in a circle.', from: {}, to: { circular: true } },
    ...layers.map((layer, index) => ({
      name: `${layer}-imports-only-below`,
      severity: 'error',
      comment: `${layer}/ may import only ${below(index).join(', ') || 'lib'} (and lib).`,
      from: { path: `^${layer}/`, pathNot: entryPoint },
      to: { path: `^(${above(index).join('|') || 'none'})/` },
    })),
    { name: 'lib-is-neutral', severity: 'error', comment: 'lib/ depends on nothing of ours.', from: { path: '^lib/' }, to: { path: `^(${layers.join('|')})/` } },
    {
      name: 'app-code-never-imports-tests-or-bench',
      severity: 'error',
      from: { path: `^(${layers.join('|')}|lib)/` },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
  },
}
