// Starts the real Worker + Star DO on workerd (127.0.0.1, a free port) for the e2e run and
// shares its URL with the test workers through LUMENIZE_URL. Returns the teardown.
import { fileURLToPath } from 'node:url'
import { unstable_startWorker } from 'wrangler'

export default async function globalSetup(): Promise<() => Promise<void>> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  const worker = await unstable_startWorker({
    config: fileURLToPath(new URL('../packages/server/wrangler.jsonc', import.meta.url)),
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      logLevel: 'warn',
    },
  })
  process.env.LUMENIZE_URL = (await worker.url).origin
  return async () => {
    await worker.dispose()
  }
}
