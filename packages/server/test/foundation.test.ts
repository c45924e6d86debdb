import { CLOSE_CODES, ErrorKind, type StarHealth } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { freshStar, openSocket, serverUrl } from './helpers'

describe('health endpoint on workerd', () => {
  it('answers JSON with the star id, seq and sockets of a new star', async () => {
    const star = freshStar()
    const res = await fetch(`${serverUrl()}/stars/${star}/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    const body = (await res.json()) as StarHealth
    // A new star has written one thing: its OrgTree root.
    expect(body).toEqual({ star, seq: 1, sockets: 0, schemaVersion: body.schemaVersion })
    expect(body.schemaVersion).toBeGreaterThanOrEqual(1)
  })

  it.each([
    'acme',
    'acme.prod',
    'acme.prod.main.extra',
    'Acme.Prod.Main',
    'acme..main',
    '-acme.prod.main',
    'acme.prod.ma_in',
  ])('rejects the malformed star id %j with a 400 JSON error', async (bad) => {
    const res = await fetch(`${serverUrl()}/stars/${encodeURIComponent(bad)}/health`)
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { kind: string; message: string } }
    expect(body.error.kind).toBe(ErrorKind.invalidStarId)
    expect(body.error.message).toContain('universe.galaxy.star')
  })

  it('answers unknown paths with a 404 JSON error', async () => {
    const res = await fetch(`${serverUrl()}/nowhere`)
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { kind: string } }).error.kind).toBe(ErrorKind.notFound)
    const onStar = await fetch(`${serverUrl()}/stars/${freshStar()}/nothing-here`)
    expect(onStar.status).toBe(404)
  })

  it('serves a landing page at /', async () => {
    const res = await fetch(`${serverUrl()}/`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Lumenize is running')
  })
})

describe('sync socket on workerd', () => {
  it('accepts an upgrade, counts the socket in health, answers ping and rejects bad frames', async () => {
    const star = freshStar()
    const ws = await openSocket(`/stars/${star}/sync`)
    ws.send({ type: 'ping' })
    expect(await ws.next()).toEqual({ type: 'pong' })

    const health = (await (await fetch(`${serverUrl()}/stars/${star}/health`)).json()) as StarHealth
    expect(health.sockets).toBe(1)

    ws.send('{not json')
    expect(await ws.next()).toMatchObject({ type: 'error', kind: ErrorKind.badFrame })
    ws.send({ type: 'no-such-frame' })
    expect(await ws.next()).toMatchObject({ type: 'error', kind: ErrorKind.badFrame })
    // The socket is still usable after bad frames.
    ws.send({ type: 'ping' })
    expect(await ws.next()).toEqual({ type: 'pong' })
    expect(ws.closed).toBeUndefined()
    await ws.close()
  })

  it('refuses a plain GET on /sync with 426', async () => {
    const res = await fetch(`${serverUrl()}/stars/${freshStar()}/sync`)
    expect(res.status).toBe(426)
  })

  it('keeps other sockets of the star healthy when one closes', async () => {
    const star = freshStar()
    const a = await openSocket(`/stars/${star}/sync`)
    const b = await openSocket(`/stars/${star}/sync`)
    await a.close()
    b.send({ type: 'ping' })
    expect(await b.next()).toEqual({ type: 'pong' })
    expect(b.closed).toBeUndefined()
    await b.close()
    expect(CLOSE_CODES.normal).toBe(1000)
  })
})
