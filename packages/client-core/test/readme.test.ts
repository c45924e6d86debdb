// The README's quick start, executed as written (only the URL and the star are swapped for the test
// server's and a fresh one): if the README drifts from the API, this fails.
import { readFileSync } from 'node:fs'
import * as tanstack from '@tanstack/db'
import ts from 'typescript'
import { expect, it } from 'vitest'
import WebSocket from 'ws'
import * as core from '../src/index'
import { freshStar, serverUrl } from './helpers'

const MODULES: Record<string, Record<string, unknown>> = {
  '@lumenize/client-core': core,
  '@tanstack/db': tanstack,
}

/** The first ```ts block after the quickstart marker. */
function quickstart(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const after = readme.slice(readme.indexOf('<!-- quickstart'))
  const match = /```ts\n([\s\S]*?)```/.exec(after)
  if (!match?.[1]) throw new Error('No quickstart block in the README')
  return match[1]
}

it('runs the README quick start against the server', async () => {
  const star = freshStar('readme')
  let code = quickstart()
  expect(code).toContain("'http://127.0.0.1:8787'")
  code = code
    .replace("'http://127.0.0.1:8787'", JSON.stringify(serverUrl()))
    .replace("'acme.prod.main'", JSON.stringify(star))
  // Imports become parameters bound to the real modules.
  const bindings: Record<string, unknown> = {}
  code = code.replace(/^import \{([^}]+)\} from '([^']+)'\n/gm, (_, names: string, from: string) => {
    for (const name of names.split(',').map((n) => n.trim())) bindings[name] = MODULES[from]?.[name]
    return ''
  })
  const js = ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText
  const logs: unknown[][] = []
  const console = { log: (...args: unknown[]) => logs.push(args) }
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>
  // Node 20 has no global WebSocket; a browser does. The README's code uses the global one.
  const saved = (globalThis as { WebSocket?: unknown }).WebSocket
  ;(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket
  try {
    const run = new AsyncFunction(...Object.keys(bindings), 'console', js)
    await run(...Object.values(bindings), console)
  } finally {
    ;(globalThis as { WebSocket?: unknown }).WebSocket = saved
  }
  expect(logs[0]?.[0]).toBe(1)
  expect(String(logs[0]?.[1])).toMatch(/^\d{4}-\d\d-\d\dT/)
  expect(logs[1]).toEqual([['Write the README']])
  expect(logs[2]).toEqual([0])
  expect(logs.find((l) => Array.isArray(l[0]) && Array.isArray(l[0][0]))).toEqual([
    [
      [1, 'todo'],
      [2, 'done'],
    ],
  ])
})
