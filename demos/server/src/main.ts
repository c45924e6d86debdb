// The Worker entry of this repository's server (wrangler.jsonc `main`): Lumenize's Worker with a
// landing page at `/`, and a Star DO built from app.config.ts.
import lumenize, { createStarDO, type Env } from '@lumenize/server'
import { appConfig } from './app.config'
import { landingPage } from './landing'

export class StarDO extends createStarDO(appConfig) {}

export default {
  fetch(request, env): Promise<Response> | Response {
    const url = new URL(request.url)
    if (url.pathname === '/' && request.method === 'GET') return landingPage(url)
    return lumenize.fetch(request, env)
  },
} satisfies ExportedHandler<Env>
