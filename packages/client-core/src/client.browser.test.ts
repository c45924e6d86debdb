// In Chromium, with real IndexedDB and WebSocket, against the real server: write, "reload" (a new
// client on the same database), and the rows are there, ready, before the socket opens.
import { describe, expect, inject, it } from 'vitest'
import { createClient } from './client'
import { partySocketTransport, type Transport } from './transport'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's origin (packages/client-core/test/global-setup.ts). */
    serverUrl: string
  }
}

type Doc = { n: number }

async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const start = Date.now()
  for (;;) {
    try {
      return check()
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err
      await new Promise((r) => setTimeout(r, 20))
    }
  }
}

describe('client-core in Chromium', () => {
  it('shows rows written before a reload from IndexedDB before the socket opens', async () => {
    const url = inject('serverUrl')
    const star = `browser.test.s${crypto.randomUUID().slice(0, 8)}`
    const clientGroupId = `tab-${crypto.randomUUID()}`

    const first = createClient({ url, star, persistence: 'indexeddb', clientGroupId })
    const docs = first.shape<Doc>('entities', { type: 'Doc' })
    await first.ready
    for (let n = 0; n < 50; n++) docs.insert({ type: 'Doc', value: { n } })
    await eventually(() => expect(first.status.getSnapshot()).toMatchObject({ state: 'synced', pending: 0 }))
    await eventually(() => expect([...docs.values()].every((d) => d.$synced)).toBe(true))
    expect(first.status.getSnapshot().persistence).toBe('indexeddb')
    await first.close()

    // "Reload": a new client on the same database. Record what it shows when the socket starts.
    let atConnect: { ready: boolean; size: number } | undefined
    const inner = partySocketTransport({ url, star })
    const transport: Transport = {
      ...inner,
      connect() {
        atConnect = { ready: again.isReady(), size: again.size }
        inner.connect()
      },
    }
    const second = createClient({ url, star, persistence: 'indexeddb', clientGroupId, transport })
    const again = second.shape<Doc>('entities', { type: 'Doc' })
    await second.ready
    expect(atConnect).toEqual({ ready: true, size: 50 })
    expect([...again.values()].map((d) => d.value.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, n) => n),
    )
    await eventually(() => expect(second.status.getSnapshot().state).toBe('synced'))
    // A write after the reload goes through and is confirmed.
    const tx = again.insert({ type: 'Doc', value: { n: 50 } })
    await tx.isPersisted.promise
    expect(again.size).toBe(51)
    await second.close()
  })

  it('opens from the cache with the server unreachable', async () => {
    const url = inject('serverUrl')
    const star = `browser.test.s${crypto.randomUUID().slice(0, 8)}`
    const clientGroupId = `tab-${crypto.randomUUID()}`
    const first = createClient({ url, star, persistence: 'indexeddb', clientGroupId })
    const docs = first.shape<Doc>('entities', { type: 'Doc' })
    await first.ready
    docs.insert({ type: 'Doc', value: { n: 1 } })
    await eventually(() => expect(first.status.getSnapshot().pending).toBe(0))
    await first.close()

    const offline = createClient({ url: 'http://127.0.0.1:9', star, persistence: 'indexeddb', clientGroupId })
    const cached = offline.shape<Doc>('entities', { type: 'Doc' })
    await offline.ready
    expect(cached.isReady()).toBe(true)
    expect([...cached.values()].map((d) => d.value.n)).toEqual([1])
    expect(offline.status.getSnapshot().state).not.toBe('synced')
    await offline.close()
  })
})
