// Shape and local collections go into @tanstack/react-db 0.5.11's useLiveQuery without casts, in
// both its forms (checked by tsc in `pnpm typecheck`, against the repository's one @tanstack/db).

import { eq } from '@tanstack/db'
import { useLiveQuery } from '@tanstack/react-db'
import { expectTypeOf } from 'vitest'
import { createClient } from './client'
import type { EntityRow } from './rows'

type Task = { title: string; done?: boolean }

export function LiveQueryTypes(): void {
  const client = createClient({ url: 'http://127.0.0.1:8787', star: 'acme.prod.main', persistence: 'memory' })
  const tasks = client.shape<Task>('entities', { type: 'Task' })
  const drafts = client.local<{ text: string }>('drafts')

  // A collection itself.
  const all = useLiveQuery(tasks)
  expectTypeOf(all.data).toEqualTypeOf<EntityRow<Task>[]>()
  expectTypeOf(all.data[0]?.value.title).toEqualTypeOf<string | undefined>()
  expectTypeOf(useLiveQuery(drafts).data[0]?.value.text).toEqualTypeOf<string | undefined>()

  // A query over it, with a join and a projection.
  const open = useLiveQuery((q) =>
    q
      .from({ t: tasks })
      .join({ d: drafts }, ({ t, d }) => eq(t.id, d.value.text))
      .where(({ t }) => eq(t.value.done, false))
      .select(({ t, d }) => ({ id: t.id, title: t.value.title, draft: d?.value.text })),
  )
  expectTypeOf(open.data[0]?.title).toEqualTypeOf<string | undefined>()
  // @ts-expect-error: rows have no such field
  void open.data[0]?.nope
}
