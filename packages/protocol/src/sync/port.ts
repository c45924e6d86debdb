// Messages between a tab and the hub that holds the socket and the cache for every tab of an origin
// (a SharedWorker, or the leader tab): the sync socket's own messages, plus a handshake and the few
// things only a hub has to say. Structured-cloned over a MessagePort or a BroadcastChannel.
import * as v from 'valibot'
import { UpMessageSchema } from './up'

/**
 * The port protocol's version: a tab and a hub that disagree do not talk (the tab gets a hub of its
 * own build, see `buildId`).
 *
 * History:
 *   1 (2026-12): hello/welcome, the sync messages, upstream status, observe, token requests, reload.
 */
export const PORT_PROTOCOL_VERSION = 1

const ClientId = v.pipe(v.string(), v.minLength(1), v.maxLength(128))

/** What a hub serves, as the first tab's `createClient` says: a new hub is made from it. */
export const PortHubConfigSchema = v.object({
  url: v.string(),
  star: v.string(),
  clientGroupId: v.optional(v.string()),
  persistence: v.picklist(['indexeddb', 'memory']),
  /** How long the hub keeps a shape no tab uses any more, in ms. */
  releaseAfterMs: v.optional(v.pipe(v.number(), v.minValue(0))),
})

/** A tab introduces itself: its build (a hub serves tabs of its own build only) and its clientId. */
export const PortHelloSchema = v.object({
  type: v.literal('hello'),
  portVersion: v.pipe(v.number(), v.integer()),
  buildId: v.string(),
  clientId: ClientId,
  config: PortHubConfigSchema,
})

/** A tab's answer to a `tokenRequest`: the token, or why its callback failed. */
export const PortTokenSchema = v.object({
  type: v.literal('token'),
  requestId: v.string(),
  token: v.optional(v.string()),
  error: v.optional(v.string()),
})

/** A tab leaves (its client closed): its subscriptions go; its queued mutations stay with the hub. */
export const PortByeSchema = v.object({ type: v.literal('bye') })

/**
 * What a tab's browser says of the network (its `online`/`offline` events): the hub takes it as its
 * own, since a worker does not always hear them (emulated offline, some browsers).
 */
export const PortNetworkSchema = v.object({ type: v.literal('network'), online: v.boolean() })

/** Everything a tab sends a hub: the handshake, token answers, goodbye, and the sync socket's messages. */
export const PortUpMessageSchema = v.union([
  PortHelloSchema,
  PortTokenSchema,
  PortByeSchema,
  PortNetworkSchema,
  UpMessageSchema,
])

/** The hub accepted the tab: from now on the tab speaks the sync protocol to it. */
export const PortWelcomeSchema = v.object({
  type: v.literal('welcome'),
  portVersion: v.pipe(v.number(), v.integer()),
  buildId: v.string(),
  /** Differs for every hub instance: a tab sees that it talks to a new one. */
  hubId: v.string(),
})

/** A client's connection states, as its status shows them (client-core's SPEC.md). */
export const CONNECTION_STATES = [
  'connecting',
  'syncing',
  'synced',
  'offline',
  'needsAuth',
  'versionMismatch',
  'closed',
] as const

/** Why a client is offline. */
export const OFFLINE_REASONS = ['browserOffline', 'serverUnreachable', 'connectionSilent'] as const

/** Where the hub's own socket to the server is, and where its cache lives: what tabs show as status. */
export const PortUpstreamSchema = v.object({
  type: v.literal('upstream'),
  state: v.picklist(CONNECTION_STATES),
  reason: v.nullable(v.picklist(OFFLINE_REASONS)),
  /** Epoch ms of the last rows applied from the server; null: never synced. */
  lastSyncedAt: v.nullable(v.number()),
  persistence: v.picklist(['indexeddb', 'memory']),
})

/** One queued mutation as a sibling sees it (to show it optimistically, never to push it). */
export const PortPendingMutationSchema = v.object({
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  name: v.string(),
  args: v.unknown(),
  createdAt: v.number(),
})

/** Mutations queued by another client of the hub (a sibling tab, or a closed one being pushed). */
export const PortObserveSchema = v.object({
  type: v.literal('observe'),
  clientId: ClientId,
  mutations: v.array(PortPendingMutationSchema),
})

/** The hub needs a token for its socket: a tab asks its `token` callback and answers with `token`. */
export const PortTokenRequestSchema = v.object({ type: v.literal('tokenRequest'), requestId: v.string() })

/**
 * A newer build of the app started its own hub: this hub is draining, and the tab should reload
 * (at most once: a tab guards against reload loops).
 */
export const PortReloadSchema = v.object({ type: v.literal('reload'), buildId: v.string() })

/** What a hub says to a tab beyond the sync socket's own messages. */
export const PortControlSchema = v.variant('type', [
  PortWelcomeSchema,
  PortUpstreamSchema,
  PortObserveSchema,
  PortTokenRequestSchema,
  PortReloadSchema,
])

export type PortHubConfig = v.InferOutput<typeof PortHubConfigSchema>
export type PortHello = v.InferOutput<typeof PortHelloSchema>
export type PortToken = v.InferOutput<typeof PortTokenSchema>
export type PortUpMessage = v.InferOutput<typeof PortUpMessageSchema>
export type PortWelcome = v.InferOutput<typeof PortWelcomeSchema>
export type PortUpstream = v.InferOutput<typeof PortUpstreamSchema>
export type PortPendingMutation = v.InferOutput<typeof PortPendingMutationSchema>
export type PortObserve = v.InferOutput<typeof PortObserveSchema>
export type PortControl = v.InferOutput<typeof PortControlSchema>
