// The lifecycle machine: SPEC.md's table is the code's table, and every cell of it is driven
// through a real Connection, each event coming from its real source (the transport, the network,
// the heartbeat timer, or the session), with the transport effects each transition promises.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import spec from '../../SPEC.md?raw'
import { FakeNetwork } from '../testing/fake-network'
import { FakeTransport } from '../testing/fake-transport'
import { Connection } from './connection'
import { MACHINE_EVENTS, MACHINE_STATES, type MachineEvent, type MachineState, TRANSITIONS } from './machine'

const HEARTBEAT = { intervalMs: 100, timeoutMs: 100 }

/** A Connection over a hand-driven transport and network, recording what it did. */
function harness() {
  const transport = new FakeTransport()
  const network = new FakeNetwork()
  const seen: MachineState[] = []
  let drops = 0
  const connection = new Connection({
    transport,
    network,
    heartbeat: HEARTBEAT,
    onOpen: () => undefined,
    onDrop: () => {
      drops++
    },
    onMessage: () => undefined,
    onTransition: (next) => seen.push(next),
  })
  connection.start()
  return { transport, network, connection, seen, drops: () => drops }
}

type Harness = ReturnType<typeof harness>

/** Each event from where it really comes from. */
const fire: Record<MachineEvent, (h: Harness) => void> = {
  socketOpen: (h) => h.transport.open(),
  // Dispatched by the session: on the server's `connected`, after every first poke, on a new subscribe.
  connected: (h) => h.connection.dispatch('connected'),
  caughtUp: (h) => h.connection.dispatch('caughtUp'),
  resubscribe: (h) => h.connection.dispatch('resubscribe'),
  socketClosed: (h) => h.transport.drop(1006),
  // The heartbeat: a ping goes out after the interval, nothing answers within the timeout.
  heartbeatTimeout: () => vi.advanceTimersByTime(HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs + 150),
  browserOffline: (h) => h.network.goOffline(),
  browserOnline: (h) => h.network.goOnline(),
  authRefused: (h) => h.transport.drop(4401),
  // Dispatched by the client once a token callback yields a token again.
  authRetry: (h) => h.connection.dispatch('authRetry'),
  versionRefused: (h) => h.transport.drop(4426),
  close: (h) => h.connection.dispatch('close'),
}

/** A way into each state from a fresh connection, through real sources only where they exist. */
const reach: Record<MachineState, (h: Harness) => void> = {
  // A socket is open and `connect` went out; the server has not answered yet.
  connecting: (h) => h.transport.open(),
  syncing: (h) => {
    h.transport.open()
    h.connection.dispatch('connected')
  },
  synced: (h) => {
    reach.syncing(h)
    h.connection.dispatch('caughtUp')
  },
  offlineBrowser: (h) => h.network.goOffline(),
  offlineUnreachable: (h) => h.transport.drop(1006),
  offlineSilent: (h) => {
    reach.syncing(h)
    fire.heartbeatTimeout(h)
  },
  needsAuth: (h) => {
    h.transport.open()
    h.transport.drop(4401)
  },
  versionMismatch: (h) => {
    h.transport.open()
    h.transport.drop(4426)
  },
  closed: (h) => h.connection.dispatch('close'),
}

/** The cells of SPEC.md's transition table ("·" means the state stays). */
function specTable(): { events: string[]; rows: Map<string, string[]> } {
  const lines = spec.split('\n')
  const start = lines.findIndex((l) => l.startsWith('| state \\ event |'))
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim().replace(/\*\*/g, ''))
  const events = cells(lines[start] ?? '').slice(1)
  const rows = new Map<string, string[]>()
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break
    const [state = '', ...next] = cells(l)
    rows.set(
      state,
      next.map((n) => (n === '·' ? state : n)),
    )
  }
  return { events, rows }
}

describe('the lifecycle machine', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('is the table SPEC.md prints: the same states, events and cells', () => {
    const { events, rows } = specTable()
    expect(events).toEqual([...MACHINE_EVENTS])
    expect([...rows.keys()]).toEqual([...MACHINE_STATES])
    for (const s of MACHINE_STATES) expect(rows.get(s)).toEqual(MACHINE_EVENTS.map((e) => TRANSITIONS[s][e]))
  })

  for (const state of MACHINE_STATES) {
    it(`reaches ${state} through its sources`, () => {
      const h = harness()
      reach[state](h)
      expect(h.connection.state).toBe(state)
    })
    for (const event of MACHINE_EVENTS) {
      const next = TRANSITIONS[state][event]
      it(`${state} --${event}--> ${next}`, () => {
        const h = harness()
        reach[state](h)
        fire[event](h)
        expect(h.connection.state).toBe(next)
      })
    }
  }

  it('pauses the transport while the browser is offline and connects again when it is back', () => {
    const h = harness()
    expect(h.transport.connectCalls).toBe(1)
    reach.syncing(h)
    h.network.goOffline()
    expect(h.transport.disconnectCalls).toBe(1)
    expect(h.drops()).toBe(1)
    h.transport.drop(1006)
    expect(h.connection.state).toBe('offlineBrowser')
    h.network.goOnline()
    expect(h.transport.connectCalls).toBe(2)
    expect(h.connection.state).toBe('connecting')
  })

  it('starts offline, without connecting, when the browser already is', () => {
    const transport = new FakeTransport()
    const network = new FakeNetwork(false)
    const connection = new Connection({
      transport,
      network,
      onOpen: () => undefined,
      onDrop: () => undefined,
      onMessage: () => undefined,
      onTransition: () => undefined,
    })
    connection.start()
    expect(connection.state).toBe('offlineBrowser')
    expect(transport.connectCalls).toBe(0)
  })

  it('pings a quiet socket, keeps it while pongs come, and replaces it when they stop', () => {
    const h = harness()
    reach.synced(h)
    vi.advanceTimersByTime(HEARTBEAT.intervalMs + 60)
    expect(h.transport.sentOf('ping')).toHaveLength(1)
    h.transport.deliver({ type: 'pong' })
    vi.advanceTimersByTime(HEARTBEAT.intervalMs + 60)
    expect(h.transport.sentOf('ping')).toHaveLength(2)
    h.transport.deliver({ type: 'pong' })
    expect(h.connection.state).toBe('synced')
    // Now nothing answers: the socket is given up and a fresh one is asked for.
    fire.heartbeatTimeout(h)
    expect(h.connection.state).toBe('offlineSilent')
    expect(h.transport.disconnectCalls).toBe(1)
    expect(h.transport.connectCalls).toBe(2)
    expect(h.seen).toContain('offlineSilent')
  })

  it('tries again at once when the browser comes back while the server was unreachable', () => {
    const h = harness()
    reach.offlineUnreachable(h)
    h.network.goOnline()
    expect(h.transport.connectCalls).toBe(2)
  })

  it('stops the transport after a refusal and after close, and ignores everything once closed', () => {
    const h = harness()
    reach.versionMismatch(h)
    expect(h.transport.disconnectCalls).toBe(1)
    h.connection.dispatch('close')
    expect(h.connection.state).toBe('closed')
    for (const event of MACHINE_EVENTS) fire[event](h)
    expect(h.connection.state).toBe('closed')
    expect(h.transport.sentOf('ping')).toEqual([])
  })
})
