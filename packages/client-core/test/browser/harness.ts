// Chromium pages of one app for tests that need several tabs, reloads and the browser's offline
// mode: the test app (app.ts) bundled with esbuild, served on 127.0.0.1 (a free port) by a server
// that also forwards /stars/… (HTTP and WebSocket) to the test star server, so the page and the star
// share one origin. The forwarding can be cut and restored, as a server going away would be.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { STARS_PATH_PREFIX } from '@lumenize/protocol'
import * as esbuild from 'esbuild'
import { type Browser, chromium } from 'playwright'
import { chromiumArgs, chromiumPath } from '../../../../chromium'

const ENTRY = fileURLToPath(new URL('./app.ts', import.meta.url))
const WORKER = fileURLToPath(new URL('../../../sharedworker/src/worker.ts', import.meta.url))
/**
 * The app shell's service worker: caches the page and its script, and serves them from the cache
 * when the network fails, so that a reload with the browser offline opens the app from its cache.
 */
const SERVICE_WORKER = `
self.addEventListener('install', (e) => e.waitUntil(caches.open('shell').then((c) => c.addAll(['/', '/app.js'])).then(() => self.skipWaiting())))
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()))
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url)
  if (url.pathname.startsWith('${STARS_PATH_PREFIX}')) return
  e.respondWith(fetch(e.request).catch(() => caches.match(e.request, { ignoreSearch: true })))
})
`

const HTML =
  '<!doctype html><meta charset="utf-8"><title>lumenize tabs</title><script type="module" src="/app.js"></script>'

let bundles: Promise<{ app: string; worker: string }> | undefined

/** The test app and the SharedWorker script, bundled once per test file. */
function appBundle(): Promise<{ app: string; worker: string }> {
  const build = (entry: string) =>
    esbuild
      .build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        logLevel: 'warning',
      })
      .then((r) => r.outputFiles[0]?.text ?? '')
  bundles ??= Promise.all([build(ENTRY), build(WORKER)]).then(([app, worker]) => ({ app, worker }))
  return bundles
}

/** The page server: the app, and the star server behind it. */
export interface AppServer {
  readonly url: string
  /** Stops forwarding to the star server (new requests fail, open sockets are cut) until `serverUp()`. */
  serverDown(): void
  /** Keeps open sockets open but lets nothing through them, either way (a dead link that never closes). */
  serverSilent(): void
  serverUp(): void
  /** The build the page says it is from now on (a deploy): pages loaded later run it. */
  deploy(build: string): void
  close(): Promise<void>
}

export async function serveApp(starServerUrl: string): Promise<AppServer> {
  const { app: js, worker } = await appBundle()
  let build = '1'
  const upstream = new URL(starServerUrl)
  let up = true
  let silent = false
  const tunnels = new Set<Socket>()

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/'
    if (path.startsWith(STARS_PATH_PREFIX)) {
      if (!up) {
        req.socket.destroy()
        return
      }
      void forward(req, `${starServerUrl}${path}`).then(
        async (answer) => {
          res.writeHead(answer.status, Object.fromEntries(answer.headers))
          res.end(Buffer.from(await answer.arrayBuffer()))
        },
        () => req.socket.destroy(),
      )
      return
    }
    if (path === '/sw.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(SERVICE_WORKER)
      return
    }
    if (path === '/worker.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(worker)
      return
    }
    if (path === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(js)
      return
    }
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(HTML.replace('<script', `<script>window.BUILD = ${JSON.stringify(build)}</script><script`))
  })
  // WebSocket upgrades go through as raw bytes: the request head, then both directions piped.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!up) {
      socket.destroy()
      return
    }
    const target = connect(Number(upstream.port), upstream.hostname, () => {
      const headers = Object.entries(req.headers).map(
        ([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`,
      )
      target.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`)
      if (head.length > 0) target.write(head)
      // Frames cross only while the link is not silent; a silent link swallows them.
      target.on('data', (d: Buffer) => {
        if (!silent) socket.write(d)
      })
      socket.on('data', (d: Buffer) => {
        if (!silent) target.write(d)
      })
    })
    tunnels.add(socket)
    const drop = (): void => {
      tunnels.delete(socket)
      socket.destroy()
      target.destroy()
    }
    socket.on('close', drop)
    socket.on('error', drop)
    target.on('close', drop)
    target.on('error', drop)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    serverDown() {
      up = false
      for (const s of tunnels) s.destroy()
    },
    serverSilent() {
      silent = true
    },
    serverUp() {
      up = true
      silent = false
    },
    deploy(next) {
      build = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of tunnels) s.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function forward(req: IncomingMessage, url: string): Promise<Response> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const headers = new Headers()
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === 'string' && k !== 'host') headers.set(k, v)
  return fetch(url, {
    method: req.method ?? 'GET',
    headers,
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
  })
}

/** Debian's Chromium, headless, as every browser test here runs it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs], headless: true })
}
