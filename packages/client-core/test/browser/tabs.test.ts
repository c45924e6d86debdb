// In real Chromium, several tabs of one app (pages of one browser context share IndexedDB, Web Locks
// and BroadcastChannel), the browser's offline mode and reloads, against the real star server:
// what the README's quick start does when a person opens it twice, goes offline and comes back.
import type { EntitySnapshot } from '@lumenize/protocol'
import type { BrowserContext, Page } from 'playwright'
import { describe, expect, it } from 'vitest'
import { appInChromium, rpc, serverDocs } from './setup'

const app = appInChromium()
const newContext = app.newContext

const freshStar = (): string => `tabs.test.s${crypto.randomUUID().slice(0, 8)}`

/** Opens a tab of the app and starts its client; returns the page and the client's id. */
async function openTab(context: BrowserContext, star: string): Promise<{ page: Page; clientId: string }> {
  const page = await context.newPage()
  await page.goto(app.server().url)
  await page.waitForFunction(() => window.app !== undefined)
  // These are the tabs of a socket each (the hub modes are multitab.test.ts's).
  const clientId = await page.evaluate((s) => window.app.start(s, 'socket'), star)
  return { page, clientId }
}

const status = (page: Page) => page.evaluate(() => window.app.status())
const rows = (page: Page) => page.evaluate(() => window.app.rows())
const until = (page: Page, fn: () => boolean, timeout = 15_000) =>
  page.waitForFunction(fn, undefined, { timeout, polling: 50 })

describe('tabs of one app in Chromium', () => {
  it('two tabs of the default config write online and offline, interleaved, and lose nothing', async () => {
    const star = freshStar()
    const context = await newContext()
    const a = await openTab(context, star)
    const b = await openTab(context, star)
    expect(a.clientId).not.toBe(b.clientId)
    await until(a.page, () => window.app.status().state === 'synced')
    await until(b.page, () => window.app.status().state === 'synced')

    const first = await a.page.evaluate(() => window.app.insert('a: first'))
    await b.page.evaluate(() => window.app.insert('b: first'))
    await context.setOffline(true)
    await until(a.page, () => window.app.status().state === 'offline')
    await b.page.evaluate(() => window.app.insert('b: offline'))
    await a.page.evaluate((id) => window.app.rename(id, 'a: first, renamed offline'), first)
    await a.page.evaluate(() => window.app.insert('a: offline'))
    await b.page.evaluate(() => window.app.insert('b: offline 2'))
    await context.setOffline(false)
    await a.page.evaluate(() => window.app.insert('a: back online'))
    for (const tab of [a, b]) await until(tab.page, () => window.app.status().pending === 0)

    const truth = await serverDocs(star)
    const titles = truth.map((d) => d.value.title).sort()
    expect(titles).toEqual(
      [
        'a: back online',
        'a: first, renamed offline',
        'a: offline',
        'b: first',
        'b: offline',
        'b: offline 2',
      ].sort(),
    )
    for (const doc of truth) {
      const history = await rpc<EntitySnapshot[]>(star, 'history', { id: doc.id })
      const writer = String(doc.value.title).startsWith('a') ? a.clientId : b.clientId
      expect(history.map((h) => h.clientId)).toEqual(history.map(() => writer))
      expect(history.map((h) => h.version)).toEqual(doc.id === first ? [1, 2] : [1])
    }
    const expected = truth.map((d) => d.value.title).sort()
    for (const tab of [a, b]) {
      await until(tab.page, () => window.app.rows().length === 6 && window.app.rows().every((r) => r.synced))
      expect((await rows(tab.page)).map((r) => r.title).sort()).toEqual(expected)
      expect(await tab.page.evaluate(() => window.app.errors())).toEqual([])
    }
  })

  it('a tab closed offline with pending writes is recovered by the other tab exactly once', async () => {
    const star = freshStar()
    const context = await newContext()
    const leaving = await openTab(context, star)
    const staying = await openTab(context, star)
    await until(staying.page, () => window.app.status().state === 'synced')
    await context.setOffline(true)
    await until(leaving.page, () => window.app.status().state === 'offline')
    for (const n of [1, 2, 3]) await leaving.page.evaluate((i) => window.app.insert(`left ${i}`), n)
    expect((await status(leaving.page)).pending).toBe(3)
    await leaving.page.close()

    // The staying tab takes the queue over at once (the closed tab's lock is free), still offline.
    await until(staying.page, () => window.app.rows().length === 3)
    expect(await status(staying.page)).toMatchObject({ state: 'offline', pending: 3 })
    await context.setOffline(false)
    await until(staying.page, () => window.app.status().pending === 0)

    const truth = await serverDocs(star)
    expect(truth.map((d) => d.value.title).sort()).toEqual(['left 1', 'left 2', 'left 3'])
    for (const doc of truth) {
      const history = await rpc<EntitySnapshot[]>(star, 'history', { id: doc.id })
      expect(history.map((h) => [h.version, h.clientId])).toEqual([[1, leaving.clientId]])
    }
    await until(staying.page, () => window.app.rows().every((r) => r.synced))
  })

  it('keeps an offline write through 60 s offline and a reload offline, then confirms it once online', {
    timeout: 120_000,
  }, async () => {
    const star = freshStar()
    const context = await newContext()
    const tab = await openTab(context, star)
    await until(tab.page, () => window.app.status().state === 'synced')
    // The app shell is cached by a service worker, as an offline-capable app's is.
    await tab.page.evaluate(() => window.app.installShell())
    await context.setOffline(true)
    await until(tab.page, () => window.app.status().state === 'offline')
    await tab.page.evaluate(() => window.app.insert('written offline'))

    await new Promise((r) => setTimeout(r, 60_000))
    expect(await rows(tab.page)).toEqual([
      expect.objectContaining({ title: 'written offline', synced: false }),
    ])
    const after60s = await status(tab.page)
    expect(after60s).toMatchObject({ state: 'offline', reason: 'browserOffline', pending: 1 })
    expect(Date.now() - (after60s.oldestPendingAt ?? 0)).toBeGreaterThanOrEqual(60_000)

    // A reload with the network still off: the app opens from its cache and shows the write.
    await tab.page.reload()
    await tab.page.waitForFunction(() => window.app !== undefined)
    await tab.page.evaluate((s) => window.app.start(s, 'socket'), star)
    await until(tab.page, () => window.app.rows().length === 1)
    expect(await rows(tab.page)).toEqual([
      expect.objectContaining({ title: 'written offline', synced: false }),
    ])
    expect(await status(tab.page)).toMatchObject({ state: 'offline', pending: 1, source: 'cache' })
    expect((await status(tab.page)).lastSyncedAt).not.toBeNull()

    await context.setOffline(false)
    await until(tab.page, () => window.app.status().pending === 0 && window.app.rows()[0]?.synced === true)
    const truth = await serverDocs(star)
    expect(truth.map((d) => [d.value.title, d.version])).toEqual([['written offline', 1]])
  })

  it('shows offline within 2 s of the browser going offline and reconnects when it returns', async () => {
    const star = freshStar()
    const context = await newContext()
    const tab = await openTab(context, star)
    await until(tab.page, () => window.app.status().state === 'synced')
    const wentOffline = Date.now()
    await context.setOffline(true)
    await until(tab.page, () => window.app.status().state === 'offline', 2_000)
    expect(Date.now() - wentOffline).toBeLessThan(2_000)
    expect((await status(tab.page)).reason).toBe('browserOffline')
    await context.setOffline(false)
    await until(tab.page, () => window.app.status().state === 'synced', 10_000)
  })

  it('notices a connection that goes silent without closing, within the heartbeat timeout', async () => {
    const star = freshStar()
    const context = await newContext()
    const tab = await openTab(context, star)
    await until(tab.page, () => window.app.status().state === 'synced')
    app.server().serverSilent()
    try {
      const silentAt = Date.now()
      // Default heartbeat: a ping after 4 s of quiet, 4 s to answer, checked every second.
      await until(tab.page, () => window.app.status().state === 'offline', 12_000)
      expect(Date.now() - silentAt).toBeLessThanOrEqual(11_000)
      expect((await status(tab.page)).reason).toBe('connectionSilent')
    } finally {
      app.server().serverUp()
    }
    await until(tab.page, () => window.app.status().state === 'synced', 15_000)
  })

  it('a cold start with nothing cached and no server, then the server appearing', async () => {
    const star = freshStar()
    await rpc(star, 'upsert', { type: 'Doc', value: { title: 'already on the server' } })
    const context = await newContext()
    app.server().serverDown()
    let tab: { page: Page; clientId: string }
    try {
      tab = await openTab(context, star)
      await until(tab.page, () => window.app.status().state === 'offline')
      expect(await status(tab.page)).toMatchObject({
        reason: 'serverUnreachable',
        lastSyncedAt: null,
        source: 'cache',
        pending: 0,
      })
      // Shown empty, so the app renders and takes writes.
      expect(await tab.page.evaluate(() => window.app.ready())).toBe(true)
      await tab.page.evaluate(() => window.app.insert('before the server came'))
    } finally {
      app.server().serverUp()
    }
    await until(tab.page, () => window.app.status().state === 'synced' && window.app.status().pending === 0)
    expect((await rows(tab.page)).map((r) => r.title)).toEqual([
      'already on the server',
      'before the server came',
    ])
    expect(await status(tab.page)).toMatchObject({ source: 'server' })
    expect((await status(tab.page)).lastSyncedAt).not.toBeNull()
  })
})
