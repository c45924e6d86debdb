// A client written from packages/server/README.md ("Writing a client") and nothing else: raw
// WebSocket frames, no Lumenize code. If the server needs a rule the README does not state, this
// client breaks on it.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { freshStar, serverUrl } from './helpers'
import { rpc } from './rpc-client'

type Json = Record<string, unknown>
interface Row {
  id: string
  [key: string]: unknown
}

class ReadmeClient {
  readonly rows = new Map<string, Map<string, Row>>()
  readonly cookies = new Map<string, number>()
  readonly errors: Json[] = []
  readonly mutationErrors: Json[] = []
  watermark = 0
  connected: Json | undefined
  pokes = 0
  private readonly seeded = new Set<string>()
  private parts: Json[] | undefined
  private readonly listeners = new Set<() => void>()

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame: unknown = JSON.parse(String(data))
      // Rule 1: one message, or an array of them (unless it is a JSON-RPC batch answer).
      const messages = Array.isArray(frame) && !(frame[0] && 'jsonrpc' in frame[0]) ? frame : [frame]
      for (const m of messages as Json[]) this.onMessage(m)
      for (const l of this.listeners) l()
    })
  }

  static async open(star: string): Promise<ReadmeClient> {
    const ws = new WebSocket(`${serverUrl().replace(/^http/, 'ws')}/stars/${star}/sync`)
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    return new ReadmeClient(ws)
  }

  /** The client id this socket connected as (the server does not echo it). */
  private clientId: string | undefined

  send(message: Json): void {
    if (message.type === 'connect') this.clientId = String(message.clientId)
    this.ws.send(JSON.stringify(message))
  }

  until(check: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), 10_000)
      const listener = () => {
        if (!check()) return
        clearTimeout(timer)
        this.listeners.delete(listener)
        resolve()
      }
      this.listeners.add(listener)
      listener()
    })
  }

  list(subId: string): Row[] {
    return [...(this.rows.get(subId)?.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1))
  }

  close(): void {
    this.ws.close()
  }

  private onMessage(m: Json): void {
    switch (m.type) {
      case 'connected':
        this.connected = m
        break
      case 'pokeStart':
        // Rule 3: buffer the parts until pokeEnd.
        this.parts = []
        break
      case 'pokePart':
        this.parts?.push(m)
        break
      case 'pokeEnd': {
        for (const part of this.parts ?? []) {
          const subId = String(part.subId)
          const rows = this.rows.get(subId) ?? new Map<string, Row>()
          this.rows.set(subId, rows)
          if (part.truncate) rows.clear()
          for (const id of part.dels as string[]) rows.delete(id)
          for (const row of part.puts as Row[]) rows.set(row.id, row)
          this.seeded.add(subId)
        }
        // Rule 4: every subscription that has had its first poke moves to the poke's cookie.
        for (const subId of this.seeded) this.cookies.set(subId, Number(m.cookie))
        // Rule 6: confirmations.
        const lmids = m.lastMutationIdChanges as Record<string, number>
        const mine = this.clientId === undefined ? undefined : lmids[this.clientId]
        if (mine !== undefined) this.watermark = mine
        this.parts = undefined
        this.pokes++
        break
      }
      case 'mutationError':
        this.mutationErrors.push(m)
        break
      case 'error':
        this.errors.push(m)
        break
      default:
      // Unknown types are skipped.
    }
  }
}

describe('a client that knows only the README', () => {
  it('connects, subscribes and pushes without waiting, and converges with query', async () => {
    const star = freshStar()
    const root = await rpc(star, 'orgTree.root')
    const client = await ReadmeClient.open(star)
    const clientId = randomUUID()
    const ids = [randomUUID(), randomUUID(), randomUUID()]
    // Rule 2: connect, subscribe and push back to back.
    client.send({ type: 'connect', protocolVersion: 1, clientGroupId: randomUUID(), clientId })
    client.send({ type: 'subscribe', subId: 'docs', shape: 'entities', params: { type: 'Doc' } })
    client.send({
      type: 'subscribe',
      subId: 'none',
      shape: 'entities',
      params: { type: 'Doc', where: { kind: 'none' } },
    })
    client.send({
      type: 'push',
      clientId,
      mutations: ids.map((id, i) => ({
        id: i + 1,
        name: 'upsert',
        args: { id, type: 'Doc', value: { n: i, nodes: [root.id] } },
      })),
    })
    await client.until(() => client.watermark === 3)
    expect(client.errors).toEqual([])
    expect(client.connected).toMatchObject({ type: 'connected', watermark: 0 })
    // Rule 5: the empty shape was seeded (a truncate part with no rows).
    expect(client.rows.get('none')?.size).toBe(0)
    const fresh = await rpc(star, 'query', { type: 'Doc' })
    expect(client.list('docs')).toEqual(fresh.entities)
    // The push of three applied in one transaction (one instant) and came as one poke after the seeds.
    expect(new Set(fresh.entities.map((e) => e.validFrom)).size).toBe(1)
    expect(client.pokes).toBe(3)
    const cookie = client.cookies.get('docs')
    expect(client.cookies.get('none')).toBe(cookie)
    client.close()

    // Resume: the diff since the cookie arrives without truncate, applied on the rows kept.
    await rpc(star, 'patch', { id: ids[0], value: { n: 10 } })
    const again = await ReadmeClient.open(star)
    for (const [id, row] of client.rows.get('docs') ?? []) {
      const rows = again.rows.get('docs') ?? new Map<string, Row>()
      again.rows.set('docs', rows)
      rows.set(id, row)
    }
    again.send({ type: 'connect', protocolVersion: 1, clientGroupId: randomUUID(), clientId: randomUUID() })
    again.send({ type: 'subscribe', subId: 'docs', shape: 'entities', params: { type: 'Doc' }, cookie })
    await again.until(() => again.pokes === 1)
    expect(again.list('docs')).toEqual((await rpc(star, 'query', { type: 'Doc' })).entities)
    again.close()
  })
})
