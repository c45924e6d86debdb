// A client-core client over a hand-driven transport, for unit tests: in memory, connected on
// demand, with one Task shape subscribed.
import { createClient, type LumenizeClient } from '../client'
import { FakeTransport } from './fake-transport'

export type Task = { title: string; done?: boolean }
export const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

/** A client over a hand-driven transport, in memory. */
export const bare = (star: string, extra: Partial<Parameters<typeof createClient>[0]> = {}) => {
  const transport = new FakeTransport()
  const client: LumenizeClient = createClient({
    url: 'http://fake',
    star,
    persistence: 'memory',
    transport,
    ...extra,
  })
  return { transport, client }
}

/** A client with a Task shape, its socket open and `connected` delivered (not yet seeded). */
export async function setup() {
  const { transport, client } = bare('unit.test.star')
  const tasks = client.shape<Task>('entities', { type: 'Task' })
  await client.ready
  transport.open()
  await tick()
  transport.deliver({ type: 'connected', protocolVersion: 1, watermark: 0, cookie: 1 })
  const subId = transport.sentOf('subscribe')[0]?.subId ?? ''
  const clientId = client.clientId
  return { transport, client, tasks, subId, clientId }
}
