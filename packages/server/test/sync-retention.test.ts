// The op-log is trimmed by an alarm, by count and age; a cookie older than what is kept is re-seeded.
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startTestServer, type TestServer } from '../testing/start'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({
    testHooks: true,
    entry: fileURLToPath(new URL('./fixtures/small-oplog.ts', import.meta.url)),
  })
})
afterAll(() => server.dispose())

const star = `ret.test.s${randomUUID().slice(0, 8)}`

async function rpc(method: string, params: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}/stars/${star}/rpc`, {
    method: 'POST',
    headers: { connection: 'close' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as { result?: unknown; error?: unknown }
  if (body.error) throw new Error(JSON.stringify(body.error))
  return body.result
}

/** Subscribes on a new socket and returns the frames of the answering poke. */
async function subscribe(cookie: number | undefined): Promise<Array<Record<string, unknown>>> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/stars/${star}/sync`)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const messages: Array<Record<string, unknown>> = []
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as unknown
      for (const m of Array.isArray(frame) ? frame : [frame]) {
        messages.push(m as Record<string, unknown>)
        if ((m as { type: string }).type === 'pokeEnd') resolve()
      }
    })
  })
  ws.send(JSON.stringify({ type: 'connect', protocolVersion: 1, clientGroupId: 'g', clientId: randomUUID() }))
  ws.send(
    JSON.stringify({
      type: 'subscribe',
      subId: 's',
      shape: 'entities',
      params: { type: 'Doc' },
      ...(cookie === undefined ? {} : { cookie }),
    }),
  )
  await done
  ws.close()
  return messages
}

describe('op-log retention', () => {
  it('is trimmed by the alarm past keepCount once entries are older than keepMs, forcing a re-seed', async () => {
    const first = (await rpc('star.health', {})) as { seq: number }
    const ids = Array.from({ length: 60 }, () => randomUUID())
    for (const id of ids) await rpc('upsert', { id, type: 'Doc', value: { n: 1 } })
    const old = first.seq + 5
    // A recent cookie resumes with just the gap...
    const recent = ((await rpc('star.health', {})) as { seq: number }).seq - 3
    expect((await subscribe(recent)).some((m) => m.truncate === true)).toBe(false)
    // ...and the old one still does, until the alarm has run (entries must age past 300 ms first).
    let trimmed = false
    for (let i = 0; i < 50 && !trimmed; i++) {
      await new Promise((r) => setTimeout(r, 200))
      const parts = (await subscribe(old)).filter((m) => m.type === 'pokePart')
      trimmed = parts.some((m) => m.truncate === true)
    }
    expect(trimmed).toBe(true)
    // After the trim a full re-seed carries every Doc.
    const seed = (await subscribe(old)).filter((m) => m.type === 'pokePart')
    expect(seed.flatMap((m) => m.puts as unknown[]).length).toBe(60)
    // The newest entries (keepCount of them, at least) still resume without truncate.
    const now = ((await rpc('star.health', {})) as { seq: number }).seq
    expect((await subscribe(now - 15)).some((m) => m.truncate === true)).toBe(false)
  })
})
