// The types every Lumenize collection shares (shapes and local collections), and what the
// optimistic layer needs of a collection it writes to.
import type { JsonObject } from '@lumenize/protocol'
import type { Collection, InsertConfig, NonSingleResult, Transaction } from '@tanstack/db'
import type { EntityInput, EntityRow } from '../rows'

/** Helpers on every Lumenize collection (`collection.utils`). */
export type ShapeUtils = {
  /** Gives back one `client.shape(...)` acquisition; the last one unsubscribes and drops the collection. */
  release(): void
  /** The op-log seq this replica is current at (undefined before the first seed or cache load). */
  cookie(): number | undefined
}

/**
 * A Lumenize collection of entity rows: TanStack DB's `Collection<EntityRow<V>, string, U>` (so it
 * goes wherever a collection does: live queries, joins, `useLiveQuery(collection)`), whose `insert`
 * also takes an `EntityInput` (`{ type, value, id? }`): the collection's schema fills the rest.
 */
export type EntityCollection<V extends object = JsonObject, U extends object = ShapeUtils> = Collection<
  EntityRow<V>,
  string,
  U
> &
  NonSingleResult & {
    insert: (data: EntityInput<V> | EntityInput<V>[], config?: InsertConfig) => Transaction
  }

/** A collection the optimistic layer writes to. */
export interface WritableShape {
  readonly collection: EntityCollection<JsonObject, object>
  /** Whether a row belongs in this collection: true, false, or undefined (unknown: keep as is). */
  belongs(row: EntityRow, present: boolean): boolean | undefined
}
