// Helpers of the transaction tests: a seeded star, snapshots of ids, refusals that change nothing.
import { randomUUID } from 'node:crypto'
import type { EntitySnapshot } from '@lumenize/protocol'
import { expect } from 'vitest'
import { type RpcCallError, type RpcParams, rpc, rpcError, storeState } from './rpc-client'

export const MAX_VALUE_BYTES = 256 * 1024

/** A star with a Doc (at version 2), two Persons, an OrgNode and a Task assigned and attached to them. */
export async function seed(star: string) {
  const ids = {
    doc: randomUUID(),
    ann: randomUUID(),
    bob: randomUUID(),
    node: randomUUID(),
    task: randomUUID(),
  }
  const root = await rpc(star, 'orgTree.root')
  await rpc(star, 'upsert', { id: ids.doc, type: 'Doc', value: { kind: 'note', text: 'first' } })
  await rpc(star, 'patch', { id: ids.doc, value: { text: 'second' } })
  await rpc(star, 'upsert', { id: ids.ann, type: 'Person', value: { name: 'Ann', email: 'ann@example.com' } })
  await rpc(star, 'upsert', { id: ids.bob, type: 'Person', value: { name: 'Bob', email: 'bob@example.com' } })
  await rpc(star, 'orgTree.addNode', { parent: root.id, id: ids.node, slug: 'team', name: 'Team' })
  await rpc(star, 'upsert', {
    id: ids.task,
    type: 'Task',
    value: { title: 'Ship it', status: 'todo', assignee: ids.ann, nodes: [ids.node] },
  })
  return { ...ids, root: root.id }
}

/** Reads every given entity now, plus the store as a whole. */
export async function snapshot(star: string, ids: readonly string[]) {
  const entities: Array<EntitySnapshot | null> = []
  for (const id of ids) entities.push(await rpc(star, 'get', { id }))
  return { entities, store: await storeState(star) }
}

/**
 * Runs a call that must fail with `code`, then checks that nothing at all changed: the same
 * entities, the same snapshots, the same op-log seq. Returns the error for further checks.
 */
export async function failsAndChangesNothing(
  star: string,
  ids: readonly string[],
  method: 'upsert' | 'patch' | 'delete' | 'transaction' | 'orgTree.deleteNode',
  params: RpcParams,
  code: number,
): Promise<RpcCallError> {
  const before = await snapshot(star, ids)
  const err = await rpcError(star, method, params)
  expect({ code: err.code, message: err.message }).toMatchObject({ code })
  expect(await snapshot(star, ids)).toEqual(before)
  return err
}
