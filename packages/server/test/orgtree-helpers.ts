import type { EntitySnapshot } from '@lumenize/protocol'
import { expect } from 'vitest'
import { type RpcCallError, type RpcParams, type RpcResults, rpc, rpcError, storeState } from './rpc-client'

export const ids = (snaps: readonly EntitySnapshot[]): string[] => snaps.map((s) => s.id)
export const sorted = (xs: Iterable<string>): string[] => [...xs].sort()
export const edgeKeys = (edges: ReadonlyArray<{ parent: string; child: string }>): string[] =>
  sorted(edges.map((e) => `${e.parent}>${e.child}`))

/** Adds a node under a parent and returns it. */
export async function addNode(
  star: string,
  parent: string,
  slug: string,
  extra: Record<string, unknown> = {},
) {
  return rpc(star, 'orgTree.addNode', { parent, slug, name: slug.toUpperCase(), ...extra })
}

/** Runs a call that must fail with `code` and checks the star holds exactly what it held before. */
export async function refused(
  star: string,
  method: keyof RpcResults,
  params: RpcParams,
  code: number,
): Promise<RpcCallError> {
  const before = await storeState(star)
  const treeBefore = await rpc(star, 'orgTree.tree')
  const err = await rpcError(star, method, params)
  expect({ code: err.code, message: err.message }).toMatchObject({ code })
  expect(await storeState(star)).toEqual(before)
  expect(await rpc(star, 'orgTree.tree')).toEqual(treeBefore)
  return err
}
