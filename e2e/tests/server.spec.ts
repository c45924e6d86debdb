// The server started by `npm start` answers JSON-RPC and syncs, as the READMEs promise.
import { randomUUID } from 'node:crypto'
import { expect, test } from '@playwright/test'

const base = (): string => {
  const url = process.env.LUMENIZE_URL
  if (!url) throw new Error('LUMENIZE_URL is not set: the e2e global setup did not start the server')
  return url
}

test('the README curl example: a JSON-RPC batch upserts and queries', async ({ request }) => {
  const star = `e2e.rpc.s${randomUUID().slice(0, 8)}`
  const res = await request.post(`${base()}/stars/${star}/rpc`, {
    data: [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'upsert',
        params: { type: 'Doc', value: { kind: 'note', text: 'hello' } },
      },
      { jsonrpc: '2.0', id: 2, method: 'query', params: { type: 'Doc', where: { kind: 'note' } } },
      { jsonrpc: '2.0', method: 'upsert', params: { type: 'Doc', value: { kind: 'other' } } },
    ],
  })
  expect(res.status()).toBe(200)
  const [upserted, queried] = (await res.json()) as Array<{ id: number; result: Record<string, unknown> }>
  expect(upserted?.result).toMatchObject({ type: 'Doc', version: 1, value: { kind: 'note', text: 'hello' } })
  expect(queried?.result).toMatchObject({ entities: [{ id: upserted?.result.id }], hasMore: false })
})

test('a page syncs over the WebSocket: subscribe, write elsewhere, see the poke', async ({
  page,
  request,
}) => {
  const star = `e2e.sync.s${randomUUID().slice(0, 8)}`
  await page.goto(base())
  const socketUrl = `${base().replace('http', 'ws')}/stars/${star}/sync`
  await page.evaluate((url) => {
    const w = window as unknown as { seen: string[] }
    w.seen = []
    const ws = new WebSocket(url)
    ws.onopen = () => {
      ws.send(
        JSON.stringify({ type: 'connect', protocolVersion: 1, clientGroupId: 'page', clientId: 'page-1' }),
      )
      ws.send(
        JSON.stringify({ type: 'subscribe', subId: 'docs', shape: 'entities', params: { type: 'Doc' } }),
      )
    }
    ws.onmessage = (e) => {
      const frame = JSON.parse(String(e.data)) as unknown
      for (const m of Array.isArray(frame) ? frame : [frame]) {
        const msg = m as { type: string; puts?: Array<{ value: { text: string } }> }
        if (msg.type === 'pokePart') for (const p of msg.puts ?? []) w.seen.push(p.value.text)
      }
    }
  }, socketUrl)
  await expect.poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen.length)).toBe(0)
  await request.post(`${base()}/stars/${star}/rpc`, {
    data: {
      jsonrpc: '2.0',
      id: 1,
      method: 'upsert',
      params: { type: 'Doc', value: { text: 'from elsewhere' } },
    },
  })
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen))
    .toEqual(['from elsewhere'])
})
