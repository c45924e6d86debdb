// Plain-text tables for the console (and Markdown for the README).

export type Cell = string | number | boolean | undefined | null

function text(c: Cell): string {
  if (c === undefined || c === null) return ''
  if (typeof c === 'boolean') return c ? 'yes' : 'NO'
  if (typeof c === 'number') return Number.isInteger(c) ? c.toLocaleString('en-US') : String(c)
  return c
}

/** Formats rows under a header with columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [header.map(text), ...rows.map((r) => r.map(text))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n')
}

export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  console.log(`\n${title}\n${formatTable(header, rows)}`)
}

/** The same rows as a Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const out = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`]
  for (const r of rows) out.push(`| ${r.map(text).join(' | ')} |`)
  return out.join('\n')
}
