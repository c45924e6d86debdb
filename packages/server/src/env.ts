// Bindings the Worker and the Star DO receive from the app's wrangler.jsonc.

export interface Env {
  /**
   * The Star Durable Object namespace (class `StarDO`, built with `createStarDO`). An app that calls
   * the Star over Cloudflare RPC types it as `DurableObjectNamespace<StarDurableObject>`.
   */
  STAR: DurableObjectNamespace
  /** "1" enables test-only RPC methods (star.instance). Never set in production. */
  LUMENIZE_TEST_HOOKS?: string
}
