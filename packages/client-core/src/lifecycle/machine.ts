// The connection lifecycle as a pure state machine: every state answers every event, and the
// compiler forces the table complete. SPEC.md prints this table; a test keeps the two identical.
// (The public states and reasons are the protocol's: a hub reports its own to its tabs.)

import type { CONNECTION_STATES, OFFLINE_REASONS } from '@lumenize/protocol'

/** Why the client is offline. */
export type OfflineReason = (typeof OFFLINE_REASONS)[number]

/** The connection state an app shows (`client.status.getSnapshot().state`). */
export type ConnectionState = (typeof CONNECTION_STATES)[number]

/** The machine's states: the public states, with `offline` split by its reason. */
export const MACHINE_STATES = [
  'connecting',
  'syncing',
  'synced',
  'offlineBrowser',
  'offlineUnreachable',
  'offlineSilent',
  'needsAuth',
  'versionMismatch',
  'closed',
] as const

export type MachineState = (typeof MACHINE_STATES)[number]

/** What moves the machine. Each comes from one source, named in SPEC.md. */
export const MACHINE_EVENTS = [
  'socketOpen',
  'connected',
  'caughtUp',
  'resubscribe',
  'socketClosed',
  'heartbeatTimeout',
  'browserOffline',
  'browserOnline',
  'authRefused',
  'authRetry',
  'versionRefused',
  'close',
] as const

export type MachineEvent = (typeof MACHINE_EVENTS)[number]

type Row = Record<MachineEvent, MachineState>

/** Rows that differ only in a few cells share this: a live connection (syncing or synced). */
const live = (caughtUp: MachineState, resubscribe: MachineState, self: MachineState): Row => ({
  socketOpen: self,
  connected: 'syncing',
  caughtUp,
  resubscribe,
  socketClosed: 'connecting',
  heartbeatTimeout: 'offlineSilent',
  browserOffline: 'offlineBrowser',
  browserOnline: self,
  authRefused: 'needsAuth',
  authRetry: self,
  versionRefused: 'versionMismatch',
  close: 'closed',
})

/** An offline state: waits for a socket to open; only the browser going offline changes its reason. */
const offline = (self: MachineState, socketClosed: MachineState): Row => ({
  socketOpen: 'connecting',
  connected: 'syncing',
  caughtUp: self,
  resubscribe: self,
  socketClosed,
  heartbeatTimeout: self,
  browserOffline: 'offlineBrowser',
  browserOnline: self,
  authRefused: 'needsAuth',
  authRetry: self,
  versionRefused: 'versionMismatch',
  close: 'closed',
})

/** A state that nothing but `close` (or nothing at all) leaves. */
const terminal = (self: MachineState, close: MachineState): Row => ({
  socketOpen: self,
  connected: self,
  caughtUp: self,
  resubscribe: self,
  socketClosed: self,
  heartbeatTimeout: self,
  browserOffline: self,
  browserOnline: self,
  authRefused: self,
  authRetry: self,
  versionRefused: self,
  close,
})

/** The transition table: `TRANSITIONS[state][event]` is the next state. */
export const TRANSITIONS: Readonly<Record<MachineState, Readonly<Record<MachineEvent, MachineState>>>> = {
  connecting: {
    socketOpen: 'connecting',
    connected: 'syncing',
    caughtUp: 'connecting',
    resubscribe: 'connecting',
    socketClosed: 'offlineUnreachable',
    heartbeatTimeout: 'offlineSilent',
    browserOffline: 'offlineBrowser',
    browserOnline: 'connecting',
    authRefused: 'needsAuth',
    authRetry: 'connecting',
    versionRefused: 'versionMismatch',
    close: 'closed',
  },
  syncing: live('synced', 'syncing', 'syncing'),
  synced: live('synced', 'syncing', 'synced'),
  offlineBrowser: {
    ...offline('offlineBrowser', 'offlineBrowser'),
    browserOnline: 'connecting',
  },
  offlineUnreachable: offline('offlineUnreachable', 'offlineUnreachable'),
  offlineSilent: offline('offlineSilent', 'offlineUnreachable'),
  needsAuth: {
    ...offline('needsAuth', 'needsAuth'),
    authRetry: 'connecting',
  },
  versionMismatch: terminal('versionMismatch', 'closed'),
  closed: terminal('closed', 'closed'),
}

/** What each machine state shows as `{ state, reason }`. */
export const PUBLIC_STATE: Readonly<
  Record<MachineState, { state: ConnectionState; reason: OfflineReason | null }>
> = {
  connecting: { state: 'connecting', reason: null },
  syncing: { state: 'syncing', reason: null },
  synced: { state: 'synced', reason: null },
  offlineBrowser: { state: 'offline', reason: 'browserOffline' },
  offlineUnreachable: { state: 'offline', reason: 'serverUnreachable' },
  offlineSilent: { state: 'offline', reason: 'connectionSilent' },
  needsAuth: { state: 'needsAuth', reason: null },
  versionMismatch: { state: 'versionMismatch', reason: null },
  closed: { state: 'closed', reason: null },
}

/** The state after `event`. */
export function transition(state: MachineState, event: MachineEvent): MachineState {
  return TRANSITIONS[state][event]
}

/** True in the states where the socket carries a connected session (after `connected`). */
export const isLive = (state: MachineState): boolean => state === 'syncing' || state === 'synced'

/** True in the offline states (any reason). */
export const isOffline = (state: MachineState): boolean => PUBLIC_STATE[state].state === 'offline'
