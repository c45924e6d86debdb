// `npm test`: every check and test of the repository, in one command.
// Installs what is missing, then runs typecheck, lint, the Vitest projects (server on workerd,
// client-core in Node, browser tests in Chromium) and the Playwright end-to-end tests.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ensureDeps, ensurePnpm, findChromium, root, run } from './lib.mjs'

const pnpm = ensurePnpm()
ensureDeps(pnpm)
const env = {
  ...process.env,
  CHROMIUM_PATH: findChromium(),
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
}
const out = join(root, 'test-results')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const steps = [
  ['typecheck', [pnpm, ['typecheck']]],
  ['lint', [pnpm, ['lint']]],
  [
    'vitest',
    [
      pnpm,
      [
        'exec',
        'vitest',
        'run',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${join(out, 'vitest.json')}`,
      ],
    ],
  ],
  ['e2e', [pnpm, ['--filter', '@lumenize/e2e', 'exec', 'playwright', 'test', '--reporter=list,json']]],
]

const failedSteps = []
for (const [name, [cmd, args]] of steps) {
  console.log(`\n━━ ${name} ━━`)
  const stepEnv = name === 'e2e' ? { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: join(out, 'e2e.json') } : env
  const code = await run(cmd, args, { env: stepEnv })
  if (code !== 0) failedSteps.push(name)
}

// One closing line counting every test, whatever runner ran it.
let passed = 0
let failed = 0
const vitest = join(out, 'vitest.json')
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, 'utf8'))
  passed += r.numPassedTests ?? 0
  failed += r.numFailedTests ?? 0
}
const e2e = join(out, 'e2e.json')
if (existsSync(e2e)) {
  const s = JSON.parse(readFileSync(e2e, 'utf8')).stats ?? {}
  passed += s.expected ?? 0
  failed += (s.unexpected ?? 0) + (s.flaky ?? 0)
}
if (failedSteps.length) console.log(`\nFailed steps: ${failedSteps.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(failedSteps.length ? 1 : 0)
