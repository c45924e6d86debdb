// Starts a real Lumenize server (a Worker entry and its Star DO) for tests and benchmarks: the
// entry is bundled with esbuild and run on workerd through Miniflare, on 127.0.0.1 and a free
// port, with in-memory storage. Unlike `wrangler dev`, there is no dev proxy hop in front of the
// runtime (its keep-alive timers drop requests that arrive as an idle connection closes).
// By default it runs this repository's app, @lumenize/demo-server.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'

/** Must match the demo's wrangler.jsonc. */
const COMPATIBILITY_DATE = '2026-04-20'

export interface TestServer {
  /** The origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Stops workerd and removes the bundle. */
  dispose(): Promise<void>
}

export interface TestServerOptions {
  /** Turns on test-only RPC methods (star.instance, star.explain). */
  testHooks?: boolean
  /** A port to listen on (default: a free one). */
  port?: number
  /**
   * The Worker entry to bundle (default: the demo app's, `@lumenize/demo-server/worker`). Another
   * entry must export the Worker as default and a `StarDO` class built with `createStarDO` (e.g.
   * with test mutators).
   */
  entry?: string
}

/**
 * Starts a server; always `await server.dispose()` when done.
 *
 * @example
 * const server = await startTestServer({ testHooks: true })
 * await fetch(`${server.url}/stars/acme.prod.main/health`)
 * await server.dispose()
 */
/** The demo app's Worker entry, resolved like any package of the workspace. */
function demoEntry(): string {
  try {
    return createRequire(import.meta.url).resolve('@lumenize/demo-server/worker')
  } catch {
    throw new Error(
      'startTestServer: @lumenize/demo-server is not installed here; pass `entry`, your Worker entry',
    )
  }
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lumenize-server-'))
  const scriptPath = join(dir, 'main.js')
  await build({
    entryPoints: [options.entry ?? demoEntry()],
    outfile: scriptPath,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    logLevel: 'warning',
  })
  const mf = new Miniflare({
    modules: true,
    modulesRoot: dir,
    scriptPath,
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: { STAR: { className: 'StarDO', useSQLite: true } },
    bindings: options.testHooks ? { LUMENIZE_TEST_HOOKS: '1' } : {},
    host: '127.0.0.1',
    port: options.port ?? 0,
    cf: false,
  })
  try {
    const url = (await mf.ready).origin
    return {
      url,
      async dispose() {
        await mf.dispose()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await mf.dispose().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}
