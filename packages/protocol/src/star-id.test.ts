import { describe, expect, it } from 'vitest'
import { isStarId } from './star-id'

describe('star ids', () => {
  it.each(['acme.prod.main', 'a.b.c', 'a-1.b-2.c-3', '0.0.0'])('accepts %j', (id) => {
    expect(isStarId(id)).toBe(true)
  })
  it.each([
    '',
    'acme',
    'a.b',
    'a.b.c.d',
    'A.b.c',
    'a..c',
    '-a.b.c',
    'a-.b.c',
    'a.b.c_d',
    'a b.c.d',
    `${'x'.repeat(64)}.b.c`,
  ])('rejects %j', (id) => {
    expect(isStarId(id)).toBe(false)
  })
})
