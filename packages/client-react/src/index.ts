// @lumenize/client-react: React hooks over @lumenize/client-core. Filled in by its own issue.
export {}
