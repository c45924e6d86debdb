// `pnpm typecheck`: runs tsc on every tsconfig of the repository (one per runtime).
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { root, run } from './lib.mjs'

const configs = []
for (const dir of ['packages', 'demos']) {
  const base = join(root, dir)
  if (!existsSync(base)) continue
  for (const name of readdirSync(base)) {
    for (const rel of [
      'tsconfig.json',
      'tsconfig.test.json',
      'test/tsconfig.json',
      'testing/tsconfig.json',
    ]) {
      const p = join(base, name, rel)
      if (existsSync(p)) configs.push(p)
    }
  }
}
for (const extra of ['e2e/tsconfig.json', 'bench/tsconfig.json', 'tsconfig.json']) {
  if (existsSync(join(root, extra))) configs.push(join(root, extra))
}
let failed = 0
for (const config of configs) {
  const code = await run('pnpm', ['exec', 'tsc', '-p', config])
  console.log(`${code === 0 ? '✓' : '✖'} ${config.slice(root.length + 1)}`)
  if (code !== 0) failed++
}
process.exit(failed ? 1 : 0)
