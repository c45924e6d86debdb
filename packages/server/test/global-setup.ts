// Starts the real Worker + Star DO on workerd once for the server test project and hands its URL
// to the tests. Listens on 127.0.0.1, on a free port, and is stopped after the run.
import type { TestProject } from 'vitest/node'
import { startTestServer } from '../testing/start'

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Test-only RPC methods (star.instance, star.explain) are on for this server, never in production.
  const server = await startTestServer({ testHooks: true })
  project.provide('serverUrl', server.url)
  return () => server.dispose()
}
