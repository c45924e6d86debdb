// Text files imported whole by tests (Vite's `?raw`), e.g. SPEC.md for the lifecycle table test.
declare module '*?raw' {
  const text: string
  export default text
}
