// Chromium for the client-core workloads: the bench page (src/browser/page.ts) bundled with
// esbuild, served by a tiny node:http server on 127.0.0.1 (a free port), and opened with
// playwright's chromium.launch on Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
// The page's `@tanstack/db` is the workspace's single copy (pinned by the root override).
import { execFileSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright'
import { chromiumArgs, chromiumPath } from '../../../chromium'
import type { BenchPage } from '../browser/api'
import type { CpuProfile } from './cpuprofile'
import { descendants } from './proc'
import { withTimeout } from './util'

export const CHROMIUM_PATH = chromiumPath
const CHROMIUM_ARGS = [...chromiumArgs]

const PAGE_ENTRY = fileURLToPath(new URL('../browser/page.ts', import.meta.url))
const WORKER_ENTRY = fileURLToPath(new URL('../../../packages/sharedworker/src/worker.ts', import.meta.url))
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url))

let bundled: Promise<{ js: string; bytes: number; ms: number }> | undefined
let workerBundled: Promise<{ js: string; bytes: number; ms: number }> | undefined

/** The page's bundle (built once per run). */
export function pageBundle(): Promise<{ js: string; bytes: number; ms: number }> {
  bundled ??= bundle(PAGE_ENTRY)
  return bundled
}

/** The SharedWorker script of @lumenize/sharedworker (the hub), served beside the page. */
export function workerBundle(): Promise<{ js: string; bytes: number; ms: number }> {
  workerBundled ??= bundle(WORKER_ENTRY)
  return workerBundled
}

function bundle(entry: string): Promise<{ js: string; bytes: number; ms: number }> {
  return (async () => {
    const t0 = performance.now()
    const r = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      // Not minified: page CPU profiles (BENCH_PROFILE=1) then name client-core's and TanStack DB's functions.
      minify: false,
      tsconfig: TSCONFIG,
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    })
    const js = r.outputFiles[0]?.text ?? ''
    return { js, bytes: Buffer.byteLength(js), ms: performance.now() - t0 }
  })()
}

const HTML =
  '<!doctype html><meta charset="utf-8"><title>lumenize bench</title><script type="module" src="/page.js"></script>'

export interface BenchBrowser {
  /** The page's origin (its IndexedDB is per origin: keep one BenchBrowser for a fill and its reloads). */
  pageUrl: string
  chromiumVersion: string
  context: BrowserContext
  /** Opens the bench page and waits for `window.bench`. */
  newPage(): Promise<Page>
  close(): Promise<void>
}

/** Calls `window.bench[name](args)` in the page. */
export function call<K extends keyof BenchPage>(
  page: Page,
  name: K,
  args: Parameters<BenchPage[K]>[0],
  timeoutMs: number,
): Promise<Awaited<ReturnType<BenchPage[K]>>> {
  return withTimeout(
    page.evaluate(
      ([n, a]) => (window.bench as unknown as Record<string, (x: unknown) => Promise<unknown>>)[n]!(a),
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<BenchPage[K]>>>,
    timeoutMs,
    `page ${name}`,
  )
}

/** The JS heap in use in the page after a full GC (Chrome DevTools protocol), in bytes. */
export async function heapAfterGc(page: Page): Promise<number> {
  const cdp = await withTimeout(page.context().newCDPSession(page), 30_000, 'CDP session')
  try {
    for (let i = 0; i < 3; i++)
      await withTimeout(cdp.send('HeapProfiler.collectGarbage'), 60_000, 'HeapProfiler.collectGarbage')
    const usage = (await withTimeout(cdp.send('Runtime.getHeapUsage'), 30_000, 'Runtime.getHeapUsage')) as {
      usedSize: number
    }
    return usage.usedSize
  } finally {
    await cdp.detach().catch(() => undefined)
  }
}

/** Runs `fn` under a V8 CPU profile of the page (Chrome DevTools protocol). */
export async function profilePage<T>(
  page: Page,
  fn: () => Promise<T>,
): Promise<{ result: T; profile: CpuProfile }> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    await cdp.send('Profiler.start')
    const settled = await fn().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    const { profile } = (await withTimeout(
      cdp.send('Profiler.stop'),
      60_000,
      'Profiler.stop',
    )) as unknown as {
      profile: CpuProfile
    }
    if (!settled.ok) throw settled.error
    return { result: settled.value, profile }
  } finally {
    await cdp.detach().catch(() => undefined)
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      resolve(typeof a === 'object' && a ? a.port : 0)
    })
  })
}

function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim()
  } catch {
    return 'unknown'
  }
}

const isChromium = (argv0: string): boolean => /chrom/i.test(argv0)

/** Starts the page server and Chromium; always `close()` (the runner does for browsers it tracks). */
export async function openBrowser(log: (m: string) => void = () => undefined): Promise<BenchBrowser> {
  const { js, bytes, ms } = await pageBundle()
  const worker = await workerBundle()
  log(`bench page bundle: ${Math.round(bytes / 1024)} KiB (esbuild ${Math.round(ms)} ms)`)
  const http = createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
      res.end(js)
    } else if (req.url === '/worker.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
      res.end(worker.js)
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' })
      res.end(HTML)
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  const port = await listen(http)
  const closeHttp = (): Promise<void> =>
    new Promise((resolve) => {
      http.closeAllConnections()
      http.close(() => resolve())
    })
  const before = new Set(descendants(isChromium))
  let browser: Browser | undefined
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 60_000,
    })
  } catch (err) {
    await closeHttp()
    throw err
  }
  const mine = descendants(isChromium).filter((pid) => !before.has(pid))
  const b = browser
  const pageUrl = `http://127.0.0.1:${port}/`
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await withTimeout(b.close(), 15_000, 'browser.close')
      } catch (err) {
        console.error(`  ! ${(err as Error).message}; killing chromium ${mine.join(', ')}`)
        for (const pid of mine) {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {
            // gone
          }
        }
      }
      await closeHttp()
    })()
    return closing
  }
  try {
    const context = await b.newContext()
    const errors: string[] = []
    return {
      pageUrl,
      chromiumVersion: b.version() || chromiumVersion(),
      context,
      async newPage() {
        const page = await context.newPage()
        page.on('pageerror', (e) => errors.push(e.message))
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text())
        })
        await page.goto(pageUrl, { timeout: 30_000 })
        await page
          .waitForFunction(() => window.bench !== undefined, undefined, { timeout: 30_000 })
          .catch(() => {
            throw new Error(
              `the bench page did not start: ${errors.slice(-3).join(' | ') || 'no error logged'}`,
            )
          })
        return page
      },
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}
