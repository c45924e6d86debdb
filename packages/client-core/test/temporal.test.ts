// Temporal reads through the server: history, asOf for the built-in shapes, Temporal.Instant helpers,
// and typed RPC errors.
import { afterEach, describe, expect, it } from 'vitest'
import { LumenizeClientError, RpcCallError, Temporal, temporalOf, toInstant, validAt } from '../src/index'
import { eventually, freshStar, type TestClient, testClient } from './helpers'

const open: TestClient[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('temporal reads', () => {
  it('reads history and shapes as of an instant, with Temporal.Instant helpers', async () => {
    const star = freshStar()
    const client = testClient(star, { persistence: 'memory' })
    open.push(client)
    const docs = client.shape<{ kind: string; text: string }>('entities', { type: 'Doc' })
    await client.ready
    const id = crypto.randomUUID()
    await docs.insert({ id, type: 'Doc', value: { kind: 'note', text: 'v1' } }).isPersisted.promise
    await sleep(15)
    await docs.update(id, (d) => {
      d.value.text = 'v2'
    }).isPersisted.promise
    await sleep(15)
    await docs.delete(id).isPersisted.promise

    const history = await client.history(id)
    expect(history.map((h) => [h.version, h.value.text, h.deleted])).toEqual([
      [1, 'v1', false],
      [2, 'v2', false],
      [3, 'v2', true],
    ])
    // Valid-time intervals touch; the tombstone is current.
    const [v1, v2, v3] = history
    expect(v1?.validTo).toBe(v2?.validFrom)
    expect(temporalOf(v3!).validTo).toBeNull()
    const middle = toInstant(v2!.validFrom).add({ milliseconds: 1 })
    expect(middle).toBeInstanceOf(Temporal.Instant)
    expect(validAt(v2!, middle)).toBe(true)
    expect(validAt(v1!, middle)).toBe(false)

    const then = await client.asOf('entities', { type: 'Doc', where: { kind: 'note' } }, middle)
    expect(then.map((r) => r.value.text)).toEqual(['v2'])
    const before = await client.asOf('entities', { type: 'Doc' }, v1!.validFrom - 1)
    expect(before).toEqual([])
    expect(await client.asOf('entities', { type: 'Doc' }, Temporal.Now.instant())).toEqual([])
    // ISO strings work too.
    const iso = await client.asOf('entities', { type: 'Doc' }, toInstant(v1!.validFrom).toString())
    expect(iso.map((r) => r.value.text)).toEqual(['v1'])
    await eventually(() => expect(docs.has(id)).toBe(false))
  })

  it('reads the OrgTree as of now, refuses custom shapes and types RPC errors', async () => {
    const client = testClient(freshStar(), { persistence: 'memory' })
    open.push(client)
    // The star (and its root) is created on first use: read the tree after that.
    const root = (await client.rpc('orgTree.root')) as { validFrom: number }
    const nodes = await client.asOf('orgTree', {}, root.validFrom)
    expect(nodes.map((n) => n.value.slug)).toEqual(['root'])
    await expect(client.asOf('tasksUnder', {}, Date.now())).rejects.toBeInstanceOf(LumenizeClientError)
    await expect(client.asOf('tasksUnder', {}, Date.now())).rejects.toMatchObject({
      kind: 'UNSUPPORTED_SHAPE',
    })
    const err = await client.history(crypto.randomUUID()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcCallError)
    expect(err).toMatchObject({ code: 1002, kind: 'NOT_FOUND' })
  })
})
