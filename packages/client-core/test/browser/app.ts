// The test app: what a page built from client-core's quick start does, driven by the tests through
// `window.app` (start, write, read the rows and the status, close).
import { createClient, type EntityRow, type LumenizeClient, type TransportMode } from '../../src/index'

type Doc = { title: string }

let client: LumenizeClient | undefined
let docs: ReturnType<LumenizeClient['shape']> | undefined
const errors: string[] = []

const need = <T>(x: T | undefined): T => {
  if (x === undefined) throw new Error('call app.start first')
  return x
}

const app = {
  /**
   * Creates the client as the README's quick start does (no clientGroupId), with the transport asked
   * for and the page's build (see the harness's deploy).
   */
  async start(star: string, transport: TransportMode = 'auto'): Promise<string> {
    client = createClient({
      url: location.origin,
      star,
      persistence: 'indexeddb',
      transport,
      sharedWorker: (name) => new SharedWorker('/worker.js', { type: 'module', name }),
      buildId: window.BUILD,
      reconnect: { minReconnectionDelay: 100, maxReconnectionDelay: 1_000 },
      onError: (e) => errors.push(`${e.kind}: ${e.message}`),
    })
    docs = client.shape('entities', { type: 'Doc' })
    await client.ready
    return client.clientId
  },
  insert(title: string): string {
    const id = crypto.randomUUID()
    need(docs).insert({ id, type: 'Doc', value: { title } })
    return id
  },
  rename(id: string, title: string): void {
    need(docs).update(id, (d) => {
      ;(d.value as Doc).title = title
    })
  },
  rows(): Array<{ id: string; title: string; synced: boolean }> {
    return [...need(docs).values()]
      .map((r) => ({ id: r.id, title: String((r as EntityRow<Doc>).value.title), synced: r.$synced }))
      .sort((a, b) => a.title.localeCompare(b.title))
  },
  started: () => client !== undefined,
  clientId: () => need(client).clientId,
  reloads: () => Number(sessionStorage.getItem('test:loads') ?? '1') - 1,
  ready(): boolean {
    return need(docs).isReady()
  },
  status() {
    const s = need(client).status.getSnapshot()
    return {
      state: s.state,
      reason: s.reason,
      pending: s.pending,
      source: s.source,
      lastSyncedAt: s.lastSyncedAt?.epochMilliseconds ?? null,
      oldestPendingAt: s.oldestPendingAt?.epochMilliseconds ?? null,
    }
  },
  errors: () => errors,
  /** Installs the app shell's service worker (a reload then works offline). */
  async installShell(): Promise<void> {
    await navigator.serviceWorker.register('/sw.js')
    await navigator.serviceWorker.ready
  },
  close: () => need(client).close(),
}

declare global {
  interface Window {
    app: typeof app
    /** The app's build, as the page was served (the harness's deploy). */
    BUILD: string
  }
}

window.app = app
sessionStorage.setItem('test:loads', String(Number(sessionStorage.getItem('test:loads') ?? '0') + 1))
// Loaded with ?star=…&transport=…, the app starts by itself (also after a reload).
const params = new URLSearchParams(location.search)
const autoStar = params.get('star')
if (autoStar) void app.start(autoStar, (params.get('transport') as TransportMode | null) ?? 'auto')
