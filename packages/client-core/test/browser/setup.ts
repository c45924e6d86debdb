// What every Chromium tab test file sets up: the app's page server and Chromium for the file, a
// browser context per test (closed after it, passed or not), and JSON-RPC to the star server.
import type { EntitySnapshot } from '@lumenize/protocol'
import type { Browser, BrowserContext } from 'playwright'
import { afterAll, afterEach, beforeAll, inject } from 'vitest'
import { type AppServer, launchChromium, serveApp } from './harness'

/** Starts the app server and Chromium for this file; `newContext` is one browser profile. */
export function appInChromium(): { server: () => AppServer; newContext: () => Promise<BrowserContext> } {
  let browser: Browser | undefined
  let server: AppServer | undefined
  const contexts: BrowserContext[] = []
  beforeAll(async () => {
    server = await serveApp(inject('serverUrl'))
    browser = await launchChromium()
  })
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()))
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })
  return {
    server: () => {
      if (!server) throw new Error('the app server is not started')
      return server
    },
    newContext: async () => {
      if (!browser) throw new Error('Chromium is not started')
      const c = await browser.newContext()
      contexts.push(c)
      return c
    },
  }
}

/** A JSON-RPC call to the star server (from the test, not through a page). */
export async function rpc<T>(star: string, method: string, params: unknown): Promise<T> {
  const res = await fetch(`${inject('serverUrl')}/stars/${star}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  return ((await res.json()) as { result: T }).result
}

/** Every Doc of a star, as the server has it. */
export const serverDocs = async (star: string): Promise<EntitySnapshot[]> =>
  (await rpc<{ entities: EntitySnapshot[] }>(star, 'query', { type: 'Doc', limit: 1000 })).entities
