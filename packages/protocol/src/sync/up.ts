// Messages a client sends on the sync socket. The server parses them strictly.
import * as v from 'valibot'

const ClientId = v.pipe(v.string(), v.minLength(1), v.maxLength(128))
const SubId = v.pipe(v.string(), v.minLength(1), v.maxLength(128))
/** A cookie is the op-log seq a replica is current at. */
export const CookieSchema = v.pipe(v.number(), v.integer(), v.minValue(0))

/** First frame of a connection: who the client is and which protocol it speaks. */
export const ConnectSchema = v.strictObject({
  type: v.literal('connect'),
  protocolVersion: v.pipe(v.number(), v.integer()),
  clientGroupId: ClientId,
  clientId: ClientId,
  token: v.optional(v.string()),
})

/** Starts (or resumes, with `cookie`) a subscription to a named, parameterized shape. */
export const SubscribeSchema = v.strictObject({
  type: v.literal('subscribe'),
  subId: SubId,
  shape: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  params: v.optional(v.record(v.string(), v.unknown())),
  cookie: v.optional(CookieSchema),
})

export const UnsubscribeSchema = v.strictObject({ type: v.literal('unsubscribe'), subId: SubId })

/** One mutation: `id` is per client, gapless, starting at 1. */
export const MutationSchema = v.strictObject({
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  args: v.unknown(),
})

/** Mutations of one client, applied in order. */
export const PushSchema = v.strictObject({
  type: v.literal('push'),
  clientId: ClientId,
  mutations: v.pipe(v.array(MutationSchema), v.minLength(1), v.maxLength(1000)),
})

export const PingSchema = v.strictObject({ type: v.literal('ping') })

export const UpMessageSchema = v.variant('type', [
  ConnectSchema,
  SubscribeSchema,
  UnsubscribeSchema,
  PushSchema,
  PingSchema,
])

export type Connect = v.InferOutput<typeof ConnectSchema>
export type Subscribe = v.InferOutput<typeof SubscribeSchema>
export type Unsubscribe = v.InferOutput<typeof UnsubscribeSchema>
export type Mutation = v.InferOutput<typeof MutationSchema>
export type Push = v.InferOutput<typeof PushSchema>
export type UpMessage = v.InferOutput<typeof UpMessageSchema>
