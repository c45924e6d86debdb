// In real Chromium: tabs of one app behind one hub, a SharedWorker (or, with SharedWorker gone, a
// leader tab), against the real star server. One server socket for every tab, a write shown in the
// other tabs even offline, nothing lost when the writing tab, the worker or the leader dies, and a
// new build beside an old worker converging after at most one reload.
import type { EntitySnapshot } from '@lumenize/protocol'
import type { BrowserContext, Page } from 'playwright'
import { describe, expect, it } from 'vitest'
import { appInChromium, rpc, serverDocs } from './setup'

const app = appInChromium()
const newContext = app.newContext

const freshStar = (): string => `multitab.test.s${crypto.randomUUID().slice(0, 8)}`

const sockets = async (star: string) => (await rpc<{ sockets: number }>(star, 'star.health', {})).sockets
const titlesOf = (docs: EntitySnapshot[]) => docs.map((d) => String(d.value.title)).sort()

/** Opens a tab of the app that starts its client by itself (also after reloads). */
async function openTab(context: BrowserContext, star: string, transport = 'auto'): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${app.server().url}/?star=${star}&transport=${transport}`)
  await page.waitForFunction(() => window.app?.started() === true)
  return page
}

/** Waits for `fn` in the page; on a timeout the error says what the page showed. */
const until = async (page: Page, fn: () => boolean, timeout = 15_000): Promise<void> => {
  try {
    await page.waitForFunction(fn, undefined, { timeout, polling: 50 })
  } catch (err) {
    const seen = await page
      .evaluate(() =>
        JSON.stringify({ status: window.app.status(), rows: window.app.rows(), errors: window.app.errors() }),
      )
      .catch(() => 'the page is gone')
    throw new Error(`${(err as Error).message}; the page showed ${seen}`)
  }
}
const rows = (page: Page) => page.evaluate(() => window.app.rows())
const synced = (page: Page) =>
  until(page, () => window.app.status().state === 'synced' && window.app.status().pending === 0)

/** Eventually, on the server side (polling): sockets counts and rows. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const start = Date.now()
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

/** Kills every shared worker of the browser, as a crash would (Chrome DevTools protocol). */
async function killSharedWorkers(context: BrowserContext): Promise<number> {
  const browser = context.browser()
  if (!browser) throw new Error('no browser')
  const cdp = await browser.newBrowserCDPSession()
  try {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as {
      targetInfos: Array<{ targetId: string; type: string }>
    }
    const workers = targetInfos.filter((t) => t.type === 'shared_worker')
    for (const w of workers) await cdp.send('Target.closeTarget', { targetId: w.targetId })
    return workers.length
  } finally {
    await cdp.detach()
  }
}

describe('tabs behind a SharedWorker', () => {
  it('three tabs share exactly one server socket and see each other at once', async () => {
    const star = freshStar()
    const context = await newContext()
    const tabs = [await openTab(context, star), await openTab(context, star), await openTab(context, star)]
    for (const t of tabs) await synced(t)
    expect(await sockets(star)).toBe(1)
    await tabs[0]?.evaluate(() => window.app.insert('from the first tab'))
    await tabs[2]?.evaluate(() => window.app.insert('from the third tab'))
    for (const t of tabs)
      await until(t, () => window.app.rows().length === 2 && window.app.rows().every((r) => r.synced))
    expect(titlesOf(await serverDocs(star))).toEqual(['from the first tab', 'from the third tab'])
    expect(await sockets(star)).toBe(1)
  })

  it('shows a write of tab A in tab B with the network offline, then pushes it once', async () => {
    const star = freshStar()
    const context = await newContext()
    const a = await openTab(context, star)
    const b = await openTab(context, star)
    await synced(a)
    await synced(b)
    await context.setOffline(true)
    await until(b, () => window.app.status().state === 'offline')
    await a.evaluate(() => window.app.insert('written offline in A'))
    // B shows it at once, optimistic (not confirmed), with the network still off.
    await until(b, () => window.app.rows().some((r) => r.title === 'written offline in A'))
    expect((await rows(b)).find((r) => r.title === 'written offline in A')?.synced).toBe(false)
    expect((await b.evaluate(() => window.app.status())).reason).toBe('browserOffline')
    await context.setOffline(false)
    await synced(a)
    await until(b, () => window.app.rows().every((r) => r.synced))
    expect(titlesOf(await serverDocs(star))).toEqual(['written offline in A'])
  })

  it('closing the tab that wrote while offline, then going online, pushes its writes exactly once', async () => {
    const star = freshStar()
    const context = await newContext()
    const writer = await openTab(context, star)
    const other = await openTab(context, star)
    await synced(writer)
    await context.setOffline(true)
    await until(writer, () => window.app.status().state === 'offline')
    const writerId = await writer.evaluate(() => window.app.clientId())
    for (const n of [1, 2, 3]) await writer.evaluate((i) => window.app.insert(`left ${i}`), n)
    await writer.close()
    await until(other, () => window.app.rows().length === 3)
    await context.setOffline(false)
    await until(other, () => window.app.rows().length === 3 && window.app.rows().every((r) => r.synced))
    const truth = await serverDocs(star)
    expect(titlesOf(truth)).toEqual(['left 1', 'left 2', 'left 3'])
    for (const doc of truth) {
      const history = await rpc<EntitySnapshot[]>(star, 'history', { id: doc.id })
      expect(history.map((h) => [h.version, h.clientId])).toEqual([[1, writerId]])
    }
  })

  it('killing the worker in the middle of a stream of writes loses nothing', async () => {
    const star = freshStar()
    const context = await newContext()
    const a = await openTab(context, star)
    const b = await openTab(context, star)
    await synced(a)
    await synced(b)
    // Writes keep coming while the worker is killed; the tabs notice, start a new worker, go on.
    const writing = a.evaluate(async () => {
      for (let n = 0; n < 40; n++) {
        window.app.insert(`w${String(n).padStart(2, '0')}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    })
    await new Promise((r) => setTimeout(r, 150))
    expect(await killSharedWorkers(context)).toBe(1)
    await writing
    await synced(a)
    await synced(b)
    const expected = Array.from({ length: 40 }, (_, n) => `w${String(n).padStart(2, '0')}`)
    await eventually(async () => expect(titlesOf(await serverDocs(star))).toEqual(expected))
    for (const doc of await serverDocs(star)) expect(doc.version).toBe(1)
    await until(b, () => window.app.rows().length === 40 && window.app.rows().every((r) => r.synced))
    await eventually(async () => expect(await sockets(star)).toBe(1))
  })

  it('a tab of a new build beside an old worker converges after at most one reload', async () => {
    const star = freshStar()
    const context = await newContext()
    app.server().deploy('1')
    const old = await openTab(context, star)
    await synced(old)
    await old.evaluate(() => window.app.insert('from the old build'))
    // A deploy: a tab opened now runs build 2, with a worker of its own build.
    app.server().deploy('2')
    try {
      const fresh = await openTab(context, star)
      await synced(fresh)
      // The old worker pushes what it holds and tells its tab to reload, which brings build 2.
      await until(old, () => window.BUILD === '2' && window.app?.started() === true, 20_000)
      await synced(old)
      expect(await old.evaluate(() => window.app.reloads())).toBe(1)
      await fresh.evaluate(() => window.app.insert('from the new build'))
      for (const t of [old, fresh])
        await until(t, () => window.app.rows().length === 2 && window.app.rows().every((r) => r.synced))
      expect(titlesOf(await serverDocs(star))).toEqual(['from the new build', 'from the old build'])
      await eventually(async () => expect(await sockets(star)).toBe(1))
    } finally {
      app.server().deploy('1')
    }
  })
})

describe('tabs electing a leader (no SharedWorker)', () => {
  it('moves the hub to another tab when the leader closes, and loses nothing', async () => {
    const star = freshStar()
    const context = await newContext()
    // As on a browser without SharedWorker: `auto` falls back to the leader election.
    await context.addInitScript(() => {
      ;(globalThis as { SharedWorker?: unknown }).SharedWorker = undefined
    })
    const leader = await openTab(context, star)
    const follower = await openTab(context, star)
    await synced(leader)
    await synced(follower)
    expect(await sockets(star)).toBe(1)
    await context.setOffline(true)
    await until(follower, () => window.app.status().state === 'offline')
    const leaderId = await leader.evaluate(() => window.app.clientId())
    await leader.evaluate(() => window.app.insert('by the leader, offline'))
    await follower.evaluate(() => window.app.insert('by the follower, offline'))
    await until(follower, () => window.app.rows().length === 2)
    await leader.close()
    await context.setOffline(false)
    await until(
      follower,
      () => window.app.rows().length === 2 && window.app.rows().every((r) => r.synced),
      20_000,
    )
    const truth = await serverDocs(star)
    expect(titlesOf(truth)).toEqual(['by the follower, offline', 'by the leader, offline'])
    const byLeader = truth.find((d) => d.value.title === 'by the leader, offline')
    const history = await rpc<EntitySnapshot[]>(star, 'history', { id: byLeader?.id })
    expect(history.map((h) => [h.version, h.clientId])).toEqual([[1, leaderId]])
    await eventually(async () => expect(await sockets(star)).toBe(1))
  })
})
