// Starts the real Worker + Star DO on workerd once for the server test project and hands its
// URL to the tests. Listens on 127.0.0.1, on a free port, and is stopped after the run.
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { unstable_startWorker } from 'wrangler'

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  const worker = await unstable_startWorker({
    config: fileURLToPath(new URL('../wrangler.jsonc', import.meta.url)),
    // Test-only RPC methods (star.instance) are on for this server, never in wrangler.jsonc.
    bindings: { LUMENIZE_TEST_HOOKS: { type: 'plain_text', value: '1' } },
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      logLevel: 'warn',
    },
  })
  const url = await worker.url
  project.provide('serverUrl', url.origin)
  return async () => {
    await worker.dispose()
  }
}
