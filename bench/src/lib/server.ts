// Starts the real Lumenize server (packages/server: the Worker and the Star DO) with the shared test
// harness `startTestServer` (@lumenize/server/testing): the Worker bundled with esbuild and run on
// workerd through Miniflare, on 127.0.0.1 and a free port, with in-memory storage and no dev proxy.
//
// Two things the harness does not give, and the benchmarks need:
//   - the workerd process's pid, for its CPU time and resident memory: it is a child of this Node
//     process, found in /proc (the workerd that appeared during the start);
//   - with BENCH_PROFILE=1, workerd's V8 inspector: Miniflare spawns `MINIFLARE_WORKERD_PATH` when
//     set, so the start points it at a two-line wrapper that execs workerd with --inspector-addr.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '@lumenize/server/testing'
import { workerdDescendants } from './proc'
import { sleep, withTimeout } from './util'

export interface BenchServer {
  /** The origin (http://127.0.0.1:port) the benchmark's clients use. */
  origin: string
  /** The workerd process running the Worker and the Star DO (CPU and memory are read here). */
  runtimePid: number | undefined
  /** With `inspector`: the DevTools WebSocket of the Worker's isolate. */
  inspectorUrl: string | undefined
  dispose(): Promise<void>
}

export interface StartOptions {
  /** Turns on the server's test-only RPC methods (star.instance, star.explain). */
  testHooks?: boolean
  /** Another Worker entry (bench fixtures): exports the Worker as default and a `StarDO` class. */
  entry?: string
  /** Opens workerd's V8 inspector (for CPU profiles; BENCH_PROFILE=1). */
  inspector?: boolean
}

const serverRequire = createRequire(new URL('../../../packages/server/package.json', import.meta.url))
const miniflareRequire = createRequire(serverRequire.resolve('miniflare'))

/** The workerd binary Miniflare runs (the `workerd` package next to packages/server's miniflare). */
function workerdBinary(): string {
  return (miniflareRequire('workerd') as { default: string }).default
}

/** A free TCP port on 127.0.0.1 (bound, read, closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address ? address.port : 0
      s.close(() => resolve(port))
    })
  })
}

async function healthy(origin: string, lumenize: boolean): Promise<boolean> {
  try {
    const res = await fetch(`${origin}/stars/bench.check.s0/health`, { signal: AbortSignal.timeout(5000) })
    if (!lumenize) return res.status < 500
    const body = (await res.json()) as { star?: string }
    return res.ok && body.star === 'bench.check.s0'
  } catch {
    return false
  }
}

/** The DevTools WebSocket of the Worker's isolate on a workerd inspector. */
async function inspectorTarget(origin: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const res = await fetch(`${origin}/json/list`, { signal: AbortSignal.timeout(3000) })
      if (res.ok) {
        const targets = (await res.json()) as Array<{ id?: string; webSocketDebuggerUrl?: string }>
        const t = targets.find((x) => x.id?.startsWith('core:user:')) ?? targets[0]
        if (t?.webSocketDebuggerUrl) return t.webSocketDebuggerUrl
      }
    } catch {
      // not up yet
    }
    await sleep(100)
  }
  return undefined
}

function killPids(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** Servers start one at a time: the workerd pid is told apart by what appeared during the start. */
let starting: Promise<unknown> = Promise.resolve()

export function startServer(options: StartOptions = {}): Promise<BenchServer> {
  const run = starting.then(() => startOnce(options))
  starting = run.catch(() => undefined)
  return run
}

async function startOnce(options: StartOptions): Promise<BenchServer> {
  const before = new Set(workerdDescendants())
  let wrapperDir: string | undefined
  let inspectorPort: number | undefined
  const previousWorkerdPath = process.env.MINIFLARE_WORKERD_PATH
  if (options.inspector) {
    inspectorPort = await freePort()
    wrapperDir = mkdtempSync(join(tmpdir(), 'lumenize-bench-workerd-'))
    const wrapper = join(wrapperDir, 'workerd')
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec ${JSON.stringify(workerdBinary())} "$@" --inspector-addr=127.0.0.1:${inspectorPort}\n`,
    )
    chmodSync(wrapper, 0o755)
    process.env.MINIFLARE_WORKERD_PATH = wrapper
  }
  const cleanupWrapper = (): void => {
    if (wrapperDir) rmSync(wrapperDir, { recursive: true, force: true })
    wrapperDir = undefined
  }
  const started = startTestServer({
    ...(options.testHooks ? { testHooks: true } : {}),
    ...(options.entry ? { entry: options.entry } : {}),
  })
  let server: TestServer
  try {
    server = await withTimeout(started, 60_000, 'startTestServer')
  } catch (err) {
    // A start that answers late is disposed then; workerd processes it spawned are ended now.
    started.then((s) => s.dispose()).catch(() => undefined)
    killPids(workerdDescendants().filter((pid) => !before.has(pid)))
    cleanupWrapper()
    throw err
  } finally {
    if (options.inspector) {
      if (previousWorkerdPath === undefined) delete process.env.MINIFLARE_WORKERD_PATH
      else process.env.MINIFLARE_WORKERD_PATH = previousWorkerdPath
    }
  }
  const mine = workerdDescendants().filter((pid) => !before.has(pid))
  let disposing: Promise<void> | undefined
  const dispose = (): Promise<void> => {
    disposing ??= (async () => {
      try {
        await withTimeout(server.dispose(), 15_000, 'server.dispose')
      } catch (err) {
        // dispose hung or failed: end the workerd process this start spawned, by pid.
        console.error(`  ! ${(err as Error).message}; killing workerd ${mine.join(', ')}`)
        killPids(mine)
      } finally {
        cleanupWrapper()
      }
    })()
    return disposing
  }
  try {
    if (!(await healthy(server.url, options.entry === undefined)))
      throw new Error(`The server at ${server.url} is not healthy`)
    if (mine.length !== 1)
      console.error(`  ! expected one new workerd process, found ${mine.length}: CPU and memory not read`)
    const inspectorUrl =
      inspectorPort === undefined ? undefined : await inspectorTarget(`http://127.0.0.1:${inspectorPort}`)
    if (options.inspector && !inspectorUrl) console.error('  ! workerd inspector not found: no CPU profile')
    return {
      origin: server.url,
      runtimePid: mine.length === 1 ? mine[0] : undefined,
      inspectorUrl,
      dispose,
    }
  } catch (err) {
    await dispose()
    throw err
  }
}
