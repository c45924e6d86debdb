// Public types, checked by tsc (`pnpm typecheck`): what createClient, shapes and mutate accept.
import { defineMutator, type EntitySnapshot } from '@lumenize/protocol'
import { type Collection, createLiveQueryCollection, eq } from '@tanstack/db'
import * as v from 'valibot'
import { expectTypeOf } from 'vitest'
import { createClient } from './client'
import type { ShapeUtils } from './collections/types'
import type { EntityRow } from './rows'

const mutators = {
  addTask: defineMutator(v.object({ id: v.string(), title: v.string() }), (tx, a) => {
    tx.upsert({ id: a.id, type: 'Task', value: { title: a.title } })
  }),
}

export function publicTypes(): void {
  const client = createClient({
    url: 'http://127.0.0.1:8787',
    star: 'acme.prod.main',
    persistence: 'memory',
    mutators,
  })
  const tasks = client.shape<{ title: string; done?: boolean }>('entities', { type: 'Task' })

  // Rows are entity snapshots with a typed value; inserts take type and value (id optional).
  expectTypeOf(tasks.get('x')?.value.title).toEqualTypeOf<string | undefined>()
  tasks.insert({ type: 'Task', value: { title: 'a' } })
  // @ts-expect-error: value must match the collection's value type
  tasks.insert({ type: 'Task', value: { title: 1 } })
  tasks.update('x', (d) => {
    d.value.done = true
  })

  // A Lumenize collection is a TanStack DB collection.
  const asCollection: Collection<EntityRow<{ title: string; done?: boolean }>, string, ShapeUtils> = tasks
  // What useLiveQuery(collection) in @tanstack/react-db takes: Collection<TResult, TKey, TUtils>.
  const takesCollection = <T extends object, K extends string | number, U extends Record<string, unknown>>(
    c: Collection<T, K, U>,
  ): T[] => c.toArray
  expectTypeOf(takesCollection(tasks)).toEqualTypeOf<EntityRow<{ title: string; done?: boolean }>[]>()
  void asCollection
  createLiveQueryCollection((q) => q.from({ t: tasks }).where(({ t }) => eq(t.value.done, true)))

  // Built-in and custom mutators, typed by their schemas.
  expectTypeOf(client.mutate.addTask).parameter(0).toEqualTypeOf<{ id: string; title: string }>()
  expectTypeOf(client.mutate.patch({ id: 'x', value: { a: 1 } })).toEqualTypeOf<Promise<void>>()
  // @ts-expect-error: unknown mutator
  void client.mutate.nope

  expectTypeOf(client.history('x')).toEqualTypeOf<Promise<EntitySnapshot[]>>()
  expectTypeOf(client.status.getSnapshot().state).toEqualTypeOf<
    'connecting' | 'syncing' | 'synced' | 'offline' | 'needsAuth' | 'versionMismatch' | 'closed'
  >()
  expectTypeOf(client.status.getSnapshot().reason).toEqualTypeOf<
    'browserOffline' | 'serverUnreachable' | 'connectionSilent' | null
  >()
}
