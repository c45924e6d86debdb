// What a socket carries across hibernation: its id and who connected, under Lumenize's own key
// (≤ 16 KiB). Read back through a schema: an attachment that does not parse is no Lumenize socket.
import * as v from 'valibot'

const AttachmentSchema = v.object({
  lumenize: v.object({
    /** Socket id, the key of its subscriptions. */
    sid: v.string(),
    /** Set by `connect`: the client, its group and the authenticated subject. */
    cid: v.optional(v.string()),
    gid: v.optional(v.string()),
    subject: v.optional(v.string()),
  }),
})

export interface Attachment {
  sid: string
  cid?: string
  gid?: string
  subject?: string
}

/** A socket after `connect`. */
export type ConnectedAttachment = Attachment & { cid: string; gid: string; subject: string }

export function readAttachment(ws: WebSocket): Attachment | undefined {
  const parsed = v.safeParse(AttachmentSchema, ws.deserializeAttachment())
  if (!parsed.success) return undefined
  const { sid, cid, gid, subject } = parsed.output.lumenize
  return {
    sid,
    ...(cid === undefined ? {} : { cid }),
    ...(gid === undefined ? {} : { gid }),
    ...(subject === undefined ? {} : { subject }),
  }
}

export function writeAttachment(ws: WebSocket, attachment: Attachment): void {
  ws.serializeAttachment({ lumenize: attachment } satisfies v.InferInput<typeof AttachmentSchema>)
}

export function isConnected(a: Attachment | undefined): a is ConnectedAttachment {
  return a?.cid !== undefined && a.gid !== undefined && a.subject !== undefined
}
