// Every type that appears in the signature of something client-core exports is exported too: an app
// can name the types it is handed (e.g. the snapshots `history` returns). Read with the TypeScript
// compiler from the package's entry, the way a user's editor sees it.
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url))
const CONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url))

function program(): ts.Program {
  const { config } = ts.readConfigFile(CONFIG, ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, fileURLToPath(new URL('..', import.meta.url)))
  return ts.createProgram([ENTRY], parsed.options)
}

/** Names of the types declared in our packages that `node`'s signature refers to. */
function referencedOwnTypes(checker: ts.TypeChecker, node: ts.Node, out: Map<string, string>): void {
  const visit = (n: ts.Node): void => {
    if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) {
      const target = ts.isTypeReferenceNode(n) ? n.typeName : n.expression
      let symbol = checker.getSymbolAtLocation(target)
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
      for (const d of symbol?.declarations ?? []) {
        const file = d.getSourceFile().fileName
        if (/packages\/(client-core|protocol)\/src\//.test(file) && !ts.isTypeParameterDeclaration(d))
          out.set(symbol?.getName() ?? '', file)
      }
    }
    // Bodies are not signatures: only what a user of the API sees.
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      for (const p of n.parameters) visit(p)
      if (n.type) visit(n.type)
      return
    }
    ts.forEachChild(n, visit)
  }
  visit(node)
}

describe('client-core exports', () => {
  it('export every type their signatures use', () => {
    const p = program()
    const checker = p.getTypeChecker()
    const entry = p.getSourceFile(ENTRY)
    const moduleSymbol = entry && checker.getSymbolAtLocation(entry)
    expect(moduleSymbol).toBeDefined()
    const exported = checker.getExportsOfModule(moduleSymbol as ts.Symbol)
    const names = new Set(exported.map((s) => s.getName()))
    const used = new Map<string, string>()
    for (const s of exported) {
      const real = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s
      // Protocol's own types are protocol's to export; client-core re-exports those it hands out.
      for (const d of real.declarations ?? [])
        if (!d.getSourceFile().fileName.includes('/packages/protocol/')) referencedOwnTypes(checker, d, used)
    }
    const missing = [...used]
      .filter(([name]) => !names.has(name))
      .map(([name, file]) => `${name} (${file.split('/packages/')[1]})`)
    expect(missing).toEqual([])
    // The types the issue found missing are there.
    expect(names).toContain('EntitySnapshot')
    expect(names).toContain('ClientStatus')
  })
})
