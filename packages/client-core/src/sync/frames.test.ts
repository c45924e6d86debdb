// Loose parsing of server frames: unknown fields and types are ignored, malformed frames skipped.
import { describe, expect, it } from 'vitest'
import { parseDown } from './frames'

describe('parseDown', () => {
  it('reads known frames and drops fields it does not know', () => {
    expect(
      parseDown({ type: 'connected', protocolVersion: 1, watermark: 3, cookie: 9, region: 'weur' }),
    ).toEqual({
      type: 'connected',
      protocolVersion: 1,
      watermark: 3,
      cookie: 9,
    })
    const part = parseDown({
      type: 'pokePart',
      pokeId: 'p1',
      subId: 's1',
      puts: [
        { id: 'a', type: 'Doc', value: {}, version: 1, validFrom: 1, validTo: 2, deleted: false, extra: 1 },
      ],
      dels: [],
      future: true,
    })
    expect(part).toMatchObject({ type: 'pokePart', puts: [{ id: 'a', clientId: null, mutationId: null }] })
    expect(part && 'future' in part).toBe(false)
    expect(parseDown({ type: 'error', kind: 'SOMETHING_NEW', message: 'm' })).toEqual({
      type: 'error',
      kind: 'SOMETHING_NEW',
      message: 'm',
    })
  })

  it('skips unknown types and malformed frames', () => {
    expect(parseDown({ type: 'presence', who: [] })).toBeUndefined()
    expect(parseDown({ type: 'pokeEnd', pokeId: 1 })).toBeUndefined()
    expect(parseDown('pong')).toBeUndefined()
    expect(parseDown(null)).toBeUndefined()
  })
})
