// Protocol strings live in constants.ts only: this scans the other packages' sources for them.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { STAR_ID_HEADER, STARS_PATH_PREFIX } from './constants'

const repo = fileURLToPath(new URL('../../..', import.meta.url))

function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (name === 'node_modules') continue
    if (statSync(p).isDirectory()) out.push(...sources(p))
    else if (/\.(ts|tsx|svelte)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p)
  }
  return out
}

describe('protocol constants', () => {
  it('are not spelled as raw literals in other packages', () => {
    const packages = join(repo, 'packages')
    const offenders: string[] = []
    for (const pkg of readdirSync(packages)) {
      if (pkg === 'protocol') continue
      for (const file of sources(join(packages, pkg, 'src'))) {
        const text = readFileSync(file, 'utf8')
        for (const literal of [STAR_ID_HEADER, STARS_PATH_PREFIX]) {
          if (text.includes(`'${literal}'`) || text.includes(`"${literal}"`)) {
            offenders.push(`${relative(repo, file)}: ${literal}`)
          }
        }
      }
    }
    expect(offenders).toEqual([])
  })
})
