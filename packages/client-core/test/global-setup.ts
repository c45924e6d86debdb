// Starts the real Worker + Star DO on workerd (with the shared test mutators) once per test project
// and provides its origin as `serverUrl`. Listens on 127.0.0.1, on a free port.
import { fileURLToPath } from 'node:url'
import { startTestServer } from '@lumenize/server/testing'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer({
    entry: fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url)),
  })
  project.provide('serverUrl', server.url)
  return () => server.dispose()
}
