// Shared by `npm start` and `npm test`: make sure pnpm 10 and the locked dependencies are
// present (installing them when missing), find Chromium, and run commands.
// Plain Node (no dependencies): it runs before anything is installed.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const PNPM_MAJOR = '10'

export function fail(message) {
  console.error(`\n✖ ${message}\n`)
  process.exit(1)
}

function pnpmVersion(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** Returns a command that runs pnpm 10, installing it when missing. */
export function ensurePnpm() {
  const local = join(root, '.tools', 'node_modules', '.bin', 'pnpm')
  for (const cmd of ['pnpm', local]) {
    const v = pnpmVersion(cmd)
    if (v?.startsWith(`${PNPM_MAJOR}.`)) return cmd
  }
  console.log(`• pnpm ${PNPM_MAJOR} not found: installing it with npm`)
  const global = spawnSync('npm', ['install', '-g', `pnpm@${PNPM_MAJOR}`], { stdio: 'inherit' })
  if (global.status === 0 && pnpmVersion('pnpm')?.startsWith(`${PNPM_MAJOR}.`)) return 'pnpm'
  // No rights for a global install: keep a private copy in .tools/ (git-ignored).
  const priv = spawnSync('npm', ['install', '--prefix', join(root, '.tools'), `pnpm@${PNPM_MAJOR}`], {
    stdio: 'inherit',
  })
  if (priv.status === 0 && pnpmVersion(local)) return local
  fail(`Could not install pnpm ${PNPM_MAJOR}. Install it by hand: npm install -g pnpm@${PNPM_MAJOR}`)
}

/** Installs the locked dependencies when node_modules is missing or older than the lockfile. */
export function ensureDeps(pnpm) {
  const lock = join(root, 'pnpm-lock.yaml')
  const installed = join(root, 'node_modules', '.pnpm', 'lock.yaml')
  const current =
    existsSync(installed) &&
    existsSync(lock) &&
    readFileSync(installed, 'utf8') === readFileSync(lock, 'utf8')
  if (current) return
  console.log('• Installing the locked dependencies (pnpm install --frozen-lockfile)')
  const r = spawnSync(pnpm, ['install', '--frozen-lockfile'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  })
  if (r.status !== 0) fail('pnpm install failed (see above). Is the npm registry reachable?')
}

/** Finds a Chromium binary: CHROMIUM_PATH, then Debian's, then anything on PATH. */
export function findChromium() {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ].filter(Boolean)
  for (const c of candidates) if (existsSync(c)) return c
  const which = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
    encoding: 'utf8',
  })
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim()
  fail(
    'No Chromium found: the browser and end-to-end tests need one.\n' +
      '  On Debian/Ubuntu: sudo apt-get install -y chromium\n' +
      '  Or point CHROMIUM_PATH at a Chromium or Chrome binary: CHROMIUM_PATH=/path/to/chrome npm test',
  )
}

/** Runs a command to its end; resolves with its exit code. */
export function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', ...options })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}
