// @lumenize/client-svelte: Svelte 5 runes over @lumenize/client-core. Filled in by its own issue.
export {}
