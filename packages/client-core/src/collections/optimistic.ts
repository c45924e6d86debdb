// The one optimistic write path: `client.mutate.*` (`run`: the mutator's effect shown, then
// queued), collection edits and `client.push` (`push`: TanStack DB shows the effect, the edits
// become one mutation) both end in the pending queue, settled by the server; `show` puts queued
// mutations (after a reload, or adopted from a closed client) on top of shapes.
import { ErrorKind, type JsonObject, type MutatorTx } from '@lumenize/protocol'
import { createTransaction, type PendingMutation, type Transaction } from '@tanstack/db'
import { ClientErrorKind, LumenizeClientError, MutationRejectedError } from '../errors'
import type { EntityRow } from '../rows'
import type { PendingEntry, PendingQueue } from '../sync/pending'
import type { LocalUtils } from './local'
import type { ShapeSubscription } from './shape'
import type { EntityCollection } from './types'
import { BUILT_IN_RUNNERS, collectionTx, toServerMutation } from './writes'

/** A mutator as `createClient` takes it: what `defineMutator` returns, its args type kept. */
export interface AnyMutatorDef {
  readonly args: { readonly '~standard': { readonly validate: (value: unknown) => unknown } }
  readonly run: (tx: MutatorTx, args: never) => void
}

export type MutatorsRecord = Readonly<Record<string, AnyMutatorDef>>

interface Issues {
  issues?: ReadonlyArray<{ message: string }>
  value?: unknown
}

export interface OptimisticOptions {
  mutators: MutatorsRecord
  pending: PendingQueue
  shapes: () => Iterable<ShapeSubscription>
  locals: () => Iterable<EntityCollection<JsonObject, LocalUtils>>
  clientId: string
}

export class OptimisticWrites {
  constructor(private readonly o: OptimisticOptions) {}

  /** The names `client.mutate` offers: the built-in mutators and the custom ones. */
  names(): string[] {
    return [...Object.keys(BUILT_IN_RUNNERS), ...Object.keys(this.o.mutators)]
  }

  /** Runs a mutator in an optimistic transaction over every live shape, queues it, waits for the server. */
  run(name: string, args: unknown): Promise<void> {
    const run = this.runnerFor(name, args)
    if (run instanceof LumenizeClientError) return Promise.reject(run)
    const targets = [...this.o.shapes()]
    const tx = createTransaction<EntityRow>({
      autoCommit: false,
      mutationFn: () => this.o.pending.enqueue(name, args).done,
    })
    let localError: unknown
    tx.mutate(() => {
      try {
        run(collectionTx(targets, this.o.shapes, this.o.clientId))
      } catch (err) {
        localError = err
      }
    })
    if (localError !== undefined || tx.mutations.length === 0) {
      // No optimistic effect (nothing loaded here, or the mutator threw locally): the server decides.
      if (tx.mutations.length > 0) tx.rollback()
      else void tx.commit()
      tx.isPersisted.promise.catch(() => undefined)
      return this.o.pending.enqueue(name, args).done
    }
    return tx.commit().then(() => undefined)
  }

  /**
   * Edits made through Lumenize collections (a collection's handler, or a manual transaction's
   * `mutationFn` through `client.push`): one mutation for the synced edits, local ones accepted.
   */
  push(mutations: ReadonlyArray<PendingMutation<EntityRow>>): Promise<void> {
    const shapes = [...this.o.shapes()]
    const synced = mutations.filter((m) => shapes.some((s) => s.collection === m.collection))
    const server = toServerMutation(synced)
    // Queued synchronously, so ids follow the order in which edits were made.
    const done = server ? this.o.pending.enqueue(server.name, server.args).done : Promise.resolve()
    const localAccepts = [...this.o.locals()]
      .filter((c) => mutations.some((m) => m.collection === c))
      .map((c) => c.utils.acceptMutations({ mutations: mutations as unknown as Transaction['mutations'] }))
    return Promise.all([done, ...localAccepts]).then(() => undefined)
  }

  /** Shows queued mutations on top of shapes' rows until they settle (each in its own transaction). */
  show(entries: readonly PendingEntry[], targets: readonly ShapeSubscription[]): void {
    if (targets.length === 0) return
    for (const e of entries) {
      const run = this.runnerFor(e.name, e.args)
      if (run instanceof LumenizeClientError) continue
      const tx = createTransaction<EntityRow>({ autoCommit: false, mutationFn: () => e.done.promise })
      tx.mutate(() => {
        try {
          run(collectionTx(targets, this.o.shapes, this.o.clientId))
        } catch {
          // The server runs it for real; here it just shows no effect.
        }
      })
      tx.commit().catch(() => undefined)
    }
  }

  /** The function that runs a mutator by name, with its args checked, or why it cannot run. */
  private runnerFor(name: string, args: unknown): ((tx: MutatorTx) => void) | LumenizeClientError {
    const builtIn = BUILT_IN_RUNNERS[name]
    if (builtIn) return (tx) => builtIn(tx, args)
    const def = Object.hasOwn(this.o.mutators, name) ? this.o.mutators[name] : undefined
    if (!def) return (): void => undefined
    const r = def.args['~standard'].validate(args) as Issues | Promise<Issues>
    if (r instanceof Promise) {
      return new LumenizeClientError(
        ClientErrorKind.asyncSchema,
        `The args schema of mutator ${name} is asynchronous: optimistic writes need a synchronous one`,
        { name },
      )
    }
    if (r.issues) {
      const issues = r.issues.map((i) => i.message)
      return new MutationRejectedError(
        ErrorKind.validation,
        `Invalid args for ${name}: ${issues.join('; ')}`,
        { name, issues },
        0,
        name,
      )
    }
    return (tx) => def.run(tx, r.value as never)
  }
}
