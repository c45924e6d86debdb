// `pnpm lint` (with Biome): no import cycles between the modules of any package, and no source file
// over 400 lines. Imports are read with TypeScript's own pre-processor; type-only imports count too,
// since a cycle of types is still two modules that cannot be understood one without the other.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { root } from './lib.mjs'

const MAX_LINES = 400
const SOURCE = /\.(ts|tsx|mts|svelte)$/

function sources(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...sources(p))
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return undefined
  const base = resolve(dirname(from), specifier)
  const candidates = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts'))
  return candidates.find((c) => existsSync(c) && statSync(c).isFile())
}

/** Strongly connected components of more than one module (or a module importing itself). */
function cycles(graph) {
  let index = 0
  const indices = new Map()
  const low = new Map()
  const stack = []
  const onStack = new Set()
  const found = []
  const visit = (v) => {
    indices.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indices.get(w)))
    }
    if (low.get(v) === indices.get(v)) {
      const scc = []
      let w
      do {
        w = stack.pop()
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || graph.get(v)?.has(v)) found.push(scc)
    }
  }
  for (const v of graph.keys()) if (!indices.has(v)) visit(v)
  return found
}

const problems = []
const packageDirs = ['packages', 'demos'].flatMap((d) =>
  existsSync(join(root, d))
    ? readdirSync(join(root, d))
        .map((n) => join(root, d, n))
        .filter((p) => statSync(p).isDirectory())
    : [],
)
for (const extra of ['bench', 'e2e']) packageDirs.push(join(root, extra))

for (const pkg of packageDirs) {
  const files = sources(pkg)
  const graph = new Map()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    if (lines > MAX_LINES && !pkg.endsWith('bench') && !pkg.endsWith('e2e'))
      problems.push(
        `${relative(root, file)} has ${lines} lines; split it by responsibility (at most ${MAX_LINES})`,
      )
    const edges = new Set()
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      const target = resolveImport(file, imported.fileName)
      if (target) edges.add(target)
    }
    graph.set(file, edges)
  }
  for (const scc of cycles(graph)) {
    const key = scc
      .map((f) => relative(root, f))
      .sort()
      .join(' <-> ')
    problems.push(`import cycle: ${key}`)
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`✖ ${p}`)
  process.exit(1)
}
console.log(`✓ modules: no import cycles, no source file over ${MAX_LINES} lines`)
