// Protocol strings, close codes and error kinds live in the protocol only: this scans the other
// packages' sources for them spelled as raw literals.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES, RESERVED_CLOSE_CODES, STAR_ID_HEADER, STARS_PATH_PREFIX } from './constants'
import { ErrorKind } from './errors'

const repo = fileURLToPath(new URL('../../..', import.meta.url))

function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (name === 'node_modules') continue
    if (statSync(p).isDirectory()) out.push(...sources(p))
    else if (/\.(ts|tsx|svelte)$/.test(name) && !/\.test(-d)?\.ts$/.test(name)) out.push(p)
  }
  return out
}

/** Every `file: literal` of the other packages' sources that spells one of `literals` as given. */
function offenders(spelled: (literal: string) => RegExp, literals: readonly string[]): string[] {
  const packages = join(repo, 'packages')
  const found: string[] = []
  for (const pkg of readdirSync(packages)) {
    if (pkg === 'protocol') continue
    for (const file of sources(join(packages, pkg, 'src'))) {
      const text = readFileSync(file, 'utf8')
      for (const literal of literals) {
        const entry = `${relative(repo, file)}: ${literal}`
        if (spelled(literal).test(text)) found.push(entry)
      }
    }
  }
  return found
}

const quoted = (literal: string): RegExp => new RegExp(`['"\`]${literal}['"\`]`)

describe('protocol constants', () => {
  it('are not spelled as raw literals in other packages', () => {
    expect(offenders(quoted, [STAR_ID_HEADER, STARS_PATH_PREFIX])).toEqual([])
  })

  it('include every error kind: no kind is spelled outside the protocol', () => {
    expect(offenders(quoted, Object.values(ErrorKind))).toEqual([])
  })

  it('include every close code: none is written as a number elsewhere', () => {
    const codes = [...Object.values(CLOSE_CODES), ...RESERVED_CLOSE_CODES].filter(
      (c) => c !== CLOSE_CODES.normal,
    )
    expect(offenders((code) => new RegExp(`\\b${code}\\b`), codes.map(String))).toEqual([])
  })
})
