// The one optimistic write path: `client.mutate.*` (`run`: the mutator's effect shown, then
// queued), collection edits and `client.push` (`push`: TanStack DB shows the effect, the edits
// become one mutation) both end in the pending queue, settled by the server; `show` puts queued
// mutations (after a reload, or adopted from a closed client) on top of shapes.
import {
  type ArgsSchema,
  BUILT_IN_MUTATORS,
  describeIssues,
  ErrorKind,
  isBuiltInMutator,
  type JsonObject,
  type MutatorTx,
  type SyncValidation,
  validateSync,
} from '@lumenize/protocol'
import { createTransaction, type PendingMutation, type Transaction } from '@tanstack/db'
import { ClientErrorKind, LumenizeClientError, MutationRejectedError } from '../errors'
import type { EntityRow } from '../rows'
import type { PendingEntry, PendingQueue } from '../sync/pending'
import type { LocalUtils } from './local'
import type { ShapeSubscription } from './shape'
import type { EntityCollection } from './types'
import { collectionTx, toServerMutation } from './writes'

/** A mutator as `createClient` takes it: what `defineMutator` returns, whatever its args type. */
export interface AnyMutatorDef {
  readonly args: ArgsSchema<unknown>
  readonly run: (tx: MutatorTx, args: never) => void
}

/** The custom mutators `createClient` takes, by name. */
export type MutatorsRecord = Readonly<Record<string, AnyMutatorDef>>

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
    return [...Object.keys(BUILT_IN_MUTATORS), ...Object.keys(this.o.mutators)]
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

  /** The function that runs a mutator by name, its args checked by its schema, or why it cannot run. */
  private runnerFor(name: string, args: unknown): ((tx: MutatorTx) => void) | LumenizeClientError {
    const def: AnyMutatorDef | undefined = isBuiltInMutator(name)
      ? BUILT_IN_MUTATORS[name]
      : Object.hasOwn(this.o.mutators, name)
        ? this.o.mutators[name]
        : undefined
    // Unknown here (a newer server may have it): nothing to show, the server decides.
    if (!def) return (): void => undefined
    let checked: SyncValidation<unknown>
    try {
      checked = validateSync(def.args, args, `mutator ${name}`)
    } catch (err) {
      return new LumenizeClientError(
        ClientErrorKind.asyncSchema,
        `The args schema of mutator ${name} is asynchronous: optimistic writes need a synchronous one`,
        { name },
        err,
      )
    }
    if (!checked.ok) {
      return new MutationRejectedError(
        ErrorKind.validation,
        `Invalid args for ${name}: ${describeIssues(checked.issues)}`,
        { name, issues: checked.issues },
        0,
        name,
      )
    }
    // The schema's output is what `run` was declared with.
    const value = checked.value as never
    return (tx) => def.run(tx, value)
  }
}
