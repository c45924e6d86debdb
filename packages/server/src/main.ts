// The Worker entry of this repository's server (wrangler.jsonc `main`): the Worker and a Star DO
// built from app.config.ts.
import { appConfig } from './app.config'
import { createStarDO } from './star'

export class StarDO extends createStarDO(appConfig) {}
export { default } from './worker'
