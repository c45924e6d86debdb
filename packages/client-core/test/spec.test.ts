// SPEC.md ties each invariant to the tests that check it: every test it names exists, in the file
// it names (so renaming a test or moving it keeps the SPEC honest).
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'

const root = new URL('../', import.meta.url)

it('names only tests that exist, in the files it names', () => {
  const spec = readFileSync(new URL('SPEC.md', root), 'utf8')
  const invariants = spec.slice(spec.indexOf('## Invariants'))
  const refs: Array<{ file: string; title: string }> = []
  // "`path/file.test.ts` "title"" and further "and "title"" for the same file.
  const pattern = /`((?:src|test)\/[\w/.-]+\.test\.ts)`((?:[^`]*?"[^"]+")+)/g
  for (const m of invariants.replace(/\s*\n\s*/g, ' ').matchAll(pattern)) {
    for (const t of (m[2] ?? '').matchAll(/"([^"]+)"/g)) refs.push({ file: m[1] ?? '', title: t[1] ?? '' })
  }
  expect(refs.length).toBeGreaterThan(15)
  const missing = refs.filter(({ file, title }) => {
    const text = readFileSync(new URL(file, root), 'utf8').replace(/\s*\n\s*/g, ' ')
    return !text.includes(title.replace(/…$/, ''))
  })
  expect(missing).toEqual([])
})

it('spells error kinds only through the constant lists, never as string literals', async () => {
  const { ErrorKind } = await import('@lumenize/protocol')
  const { ClientErrorKind } = await import('../src/errors')
  const kinds = new Set<string>([...Object.values(ErrorKind), ...Object.values(ClientErrorKind)])
  const { readdirSync, statSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { fileURLToPath } = await import('node:url')
  const offenders: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.ts$/.test(name) && !/\.test(-d)?\.ts$/.test(name) && name !== 'errors.ts') {
        for (const m of readFileSync(p, 'utf8').matchAll(/'([A-Z][A-Z_]+)'/g))
          if (kinds.has(m[1] ?? '')) offenders.push(`${name}: ${m[1]}`)
      }
    }
  }
  walk(fileURLToPath(new URL('src/', root)))
  expect(offenders).toEqual([])
})
