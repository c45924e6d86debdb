// `push`: a client's mutations, applied in order and exactly once per (client, id). The watermark
// (last applied id) advances in the transaction of the effect; a failed mutation still consumes its
// id and comes back as `mutationError`; a gap is refused with OUT_OF_ORDER.
import { ErrorKind, type Mutation, type Push } from '@lumenize/protocol'
import { errorMessage, mutationFailure, socketErrors } from '../errors'
import type { ConnectedAttachment } from './attachment'
import type { SyncContext } from './context'
import { serverTx } from './mutators'
import { send } from './send'

export function push(ctx: SyncContext, ws: WebSocket, a: ConnectedAttachment, msg: Push): void {
  const { gid } = a
  const known = ctx.store.watermarks.get(msg.clientId)
  if (known && known.gid !== gid) {
    send(ws, socketErrors.otherGroup(msg.clientId))
    return
  }
  // The mutations to apply: those right after the watermark, up to a gap.
  const start = known?.lmid ?? 0
  const todo: Mutation[] = []
  let gap: Mutation | undefined
  for (const m of msg.mutations) {
    const last = todo.at(-1)?.id ?? start
    if (m.id <= last) continue
    if (m.id > last + 1) {
      gap = m
      break
    }
    todo.push(m)
  }
  if (!applyTogether(ctx, msg.clientId, gid, todo)) {
    for (const m of todo) applyOne(ctx, ws, msg.clientId, gid, m)
  }
  const last = todo.at(-1)
  if (last) ctx.pokes.confirm(msg.clientId, gid, last.id)
  // A push of nothing but replays still tells its sender the watermark: a client recovering the
  // mutations of a closed one learns this way which of them were applied already.
  else if (known && msg.mutations.some((m) => m.id <= start)) ctx.pokes.confirm(msg.clientId, gid, start)
  if (gap) {
    const watermark = last?.id ?? start
    send(
      ws,
      errorMessage(
        ErrorKind.outOfOrder,
        `Mutation ${gap.id} of ${msg.clientId} skips ${watermark + 1}: resend from there`,
        {
          clientId: msg.clientId,
          watermark,
          id: gap.id,
        },
      ),
    )
  }
}

/**
 * The fast path: every mutation of a push in one SQLite transaction (per-transaction overhead
 * dominates small writes), poked once. False if any of them fails; nothing is then applied, and the
 * caller applies them one by one so that only the failing ones are dropped.
 */
function applyTogether(ctx: SyncContext, clientId: string, gid: string, todo: readonly Mutation[]): boolean {
  if (todo.length < 2) return false
  try {
    const runs = todo.map((m) => ({ id: m.id, run: ctx.mutators.prepare(m.name, m.args) }))
    ctx.store.transaction((tx) => {
      for (const { id, run } of runs)
        tx.write({ clientId, mutationId: id }, (batch) => run(serverTx(ctx.store, batch)))
      ctx.store.watermarks.set(clientId, gid, todo.at(-1)!.id)
    })
    return true
  } catch {
    return false
  }
}

/** Applies one mutation in its own transaction; a failure consumes its id and is sent back typed. */
function applyOne(ctx: SyncContext, ws: WebSocket, clientId: string, gid: string, m: Mutation): void {
  const { store } = ctx
  try {
    const run = ctx.mutators.prepare(m.name, m.args)
    store.transaction((tx) => {
      tx.write({ clientId, mutationId: m.id }, (batch) => run(serverTx(store, batch)))
      store.watermarks.set(clientId, gid, m.id)
    })
  } catch (err) {
    // The effect rolled back; the id is still consumed so the client can drop it and go on.
    store.transaction(() => store.watermarks.set(clientId, gid, m.id))
    const error = mutationFailure(err)
    if (error.kind === ErrorKind.internal) console.error(`mutator ${m.name} failed`, err)
    send(ws, { type: 'mutationError', clientId, id: m.id, error })
  }
}
