// `npm start`: Lumenize locally. The server on workerd at http://127.0.0.1:8787 (PORT overrides)
// with local persistence under .lumenize/ (git-ignored), plus the demos as they are built.
import { join } from 'node:path'
import { ensureDeps, ensurePnpm, root, run } from './lib.mjs'

const pnpm = ensurePnpm()
ensureDeps(pnpm)
const port = process.env.PORT ?? '8787'
// Where the server keeps its data (LUMENIZE_DATA_DIR overrides; tests point it at a temp folder).
const data = process.env.LUMENIZE_DATA_DIR ?? join(root, '.lumenize', 'state')
const origin = `http://127.0.0.1:${port}`
console.log(`
Lumenize is starting:
  server   ${origin}
  health   ${origin}/stars/acme.prod.main/health
  sync     ws://127.0.0.1:${port}/stars/<universe.galaxy.star>/sync
  data     ${data}
`)
const code = await run(
  pnpm,
  [
    'exec',
    'wrangler',
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    port,
    '--persist-to',
    data,
    '--show-interactive-dev-session=false',
  ],
  {
    // This repository's app (the Doc/Task/Person config and its Worker entry) lives in demos/server.
    cwd: join(root, 'demos', 'server'),
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
  },
)
process.exit(code)
