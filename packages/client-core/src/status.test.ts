// The status store and the connection state machine.
import { describe, expect, it } from 'vitest'
import { CONNECTION_TRANSITIONS, StatusController } from './status'

describe('status store', () => {
  it('answers every event in every state', () => {
    for (const row of Object.values(CONNECTION_TRANSITIONS)) {
      expect(Object.keys(row).sort()).toEqual(['close', 'connected', 'socketClosed', 'socketOpen'])
    }
    expect(CONNECTION_TRANSITIONS.offline.socketOpen).toBe('connecting')
    expect(CONNECTION_TRANSITIONS.connecting.connected).toBe('online')
  })

  it('notifies on change only, with a new snapshot each time', () => {
    const s = new StatusController('indexeddb')
    let calls = 0
    const off = s.subscribe(() => calls++)
    const first = s.getSnapshot()
    s.setPending(0)
    expect(calls).toBe(0)
    expect(s.getSnapshot()).toBe(first)
    s.dispatch('connected')
    s.setPending(3)
    s.synced(1_000)
    expect(calls).toBe(3)
    expect(s.getSnapshot()).toMatchObject({ connection: 'online', pending: 3 })
    expect(s.getSnapshot().lastSyncedAt?.epochMilliseconds).toBe(1_000)
    off()
    s.dispatch('socketClosed')
    expect(calls).toBe(3)
    expect(s.getSnapshot().connection).toBe('offline')
  })
})
