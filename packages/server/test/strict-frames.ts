// Every message the server sends, parsed with the protocol's strict schemas: the sync tests' clients
// record what does not parse, and a test whose clients saw any such message fails when it ends.
import { DownMessageSchema, JsonRpcResponseSchema } from '@lumenize/protocol'
import * as v from 'valibot'
import { afterEach, expect } from 'vitest'

/** Clients opened by the running test, checked for schema violations when it ends. */
const openedInTest: Array<{ readonly schemaViolations: readonly string[] }> = []

/** Registers a client whose schema violations fail the running test when it ends. */
export function checkedInThisTest(client: { readonly schemaViolations: readonly string[] }): void {
  openedInTest.push(client)
}

afterEach(() => {
  const clients = openedInTest.splice(0)
  expect(clients.flatMap((c) => c.schemaViolations)).toEqual([])
})

/** What is wrong with a server message under the strict protocol schemas, if anything. */
export function schemaViolation(message: unknown): string | undefined {
  const rpc =
    Array.isArray(message) || (typeof message === 'object' && message !== null && 'jsonrpc' in message)
  const result = rpc
    ? v.safeParse(v.union([JsonRpcResponseSchema, v.array(JsonRpcResponseSchema)]), message)
    : v.safeParse(DownMessageSchema, message)
  if (result.success) return undefined
  const issues = result.issues.map((i) => `${v.getDotPath(i) ?? '(message)'}: ${i.message}`).join('; ')
  return `message ${JSON.stringify(message).slice(0, 200)} breaks the protocol schema: ${issues}`
}
