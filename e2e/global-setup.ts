// Starts Lumenize exactly as the README says (`npm start`, i.e. scripts/start.mjs) on a free port
// of 127.0.0.1 with its data in a temporary folder, and shares its URL with the tests through
// LUMENIZE_URL. The teardown stops the whole process group.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

async function waitHealthy(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${log()}`)
    try {
      const res = await fetch(`${url}/stars/e2e.check.start/health`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`npm start did not answer within 90 s:\n${log()}`)
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const port = await freePort()
  const data = mkdtempSync(join(tmpdir(), 'lumenize-e2e-'))
  let output = ''
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), LUMENIZE_DATA_DIR: data },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (d) => {
    output += String(d)
  })
  child.stderr?.on('data', (d) => {
    output += String(d)
  })
  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(-child.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    }
    rmSync(data, { recursive: true, force: true })
  }
  try {
    await waitHealthy(url, child, () => output)
  } catch (err) {
    await stop()
    throw err
  }
  process.env.LUMENIZE_URL = url
  return stop
}
