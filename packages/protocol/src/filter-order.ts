// How SQLite orders what filters compare: strings by code point (BINARY on UTF-8), numbers as its own
// text-to-double reads them. The JS predicate uses these so that it agrees with the SQL bit for bit.

/**
 * Orders strings by Unicode code point, as SQLite's BINARY collation orders their UTF-8 bytes.
 * JS `<` compares UTF-16 code units instead and puts astral characters before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    // At the first difference the code points decide; a shared high surrogate before it means
    // both are low surrogates here, whose order is their code points' order.
    if (x !== y) return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y)
  }
  return a.length - b.length
}

/**
 * The double that SQLite reads from a number's JSON text. SQLite 3.47's text-to-double conversion
 * (sqlite3AtoF, double-double arithmetic) is not correctly rounded: it reads
 * 4.146141217930657e-260 one ulp off, and reads the neighbours 1.432515540016191e-90 and
 * 1.4325155400161912e-90 as one double. Stored numbers compare as SQLite reads them, so the
 * predicate reads them the same way; for almost every number this is the number itself.
 */
export function sqliteNumber(value: number): number {
  if (Number.isSafeInteger(value)) return value === 0 ? 0 : value
  const text = JSON.stringify(value)
  // JSON integers that fit in 64 bits are read exactly, as SQLite integers.
  if (INTEGER_TEXT.test(text) && Math.abs(value) < 2 ** 63) return value === 0 ? 0 : value
  return sqliteAtoF(text)
}

const INTEGER_TEXT = /^-?[0-9]+$/
const U64_MAX = (1n << 64n) - 1n
const SIGNIFICAND_LIMIT = (U64_MAX - 9n) / 10n
const NORMALIZE_LIMIT = (U64_MAX - 0x7ffn) / 10n

/**
 * A port of sqlite3AtoF (SQLite 3.47, src/util.c) for the number syntax JSON.stringify writes.
 * Its constants are SQLite's, written in their shortest form (the same doubles).
 */
function sqliteAtoF(text: string): number {
  let i = 0
  const digit = (): number => {
    const c = text.charCodeAt(i)
    return c >= 48 && c <= 57 ? c - 48 : -1
  }
  let sign = 1
  if (text[i] === '-') {
    sign = -1
    i++
  }
  let s = 0n
  let d = 0
  for (let c = digit(); c >= 0; c = digit()) {
    s = s * 10n + BigInt(c)
    i++
    if (s >= SIGNIFICAND_LIMIT) {
      for (; digit() >= 0; i++) d++
    }
  }
  if (text[i] === '.') {
    i++
    for (let c = digit(); c >= 0; c = digit()) {
      if (s < SIGNIFICAND_LIMIT) {
        s = s * 10n + BigInt(c)
        d--
      }
      i++
    }
  }
  let e = 0
  let exponentSign = 1
  if (text[i] === 'e' || text[i] === 'E') {
    i++
    if (text[i] === '-') exponentSign = -1
    if (text[i] === '-' || text[i] === '+') i++
    for (let c = digit(); c >= 0; c = digit()) {
      e = e < 10000 ? e * 10 + c : 10000
      i++
    }
  }
  if (s === 0n) return sign < 0 ? -0 : 0
  e = e * exponentSign + d
  while (e > 0 && s < NORMALIZE_LIMIT) {
    s *= 10n
    e--
  }
  while (e < 0 && s % 10n === 0n) {
    s /= 10n
    e++
  }
  const rr: [number, number] = [Number(s), 0]
  if (rr[0] <= 2 ** 64 - 2048) {
    const s2 = BigInt(rr[0])
    rr[1] = s >= s2 ? Number(s - s2) : -Number(s2 - s)
  }
  if (e > 0) {
    for (; e >= 100; e -= 100) dekkerMul2(rr, 1.0e100, -1.5902891109759918e83)
    for (; e >= 10; e -= 10) dekkerMul2(rr, 1.0e10, 0.0)
    for (; e >= 1; e -= 1) dekkerMul2(rr, 1.0e1, 0.0)
  } else {
    for (; e <= -100; e += 100) dekkerMul2(rr, 1.0e-100, -1.9991899802602883e-117)
    for (; e <= -10; e += 10) dekkerMul2(rr, 1.0e-10, -3.643219731549774e-27)
    for (; e <= -1; e += 1) dekkerMul2(rr, 1.0e-1, -5.551115123125783e-18)
  }
  let result = rr[0] + rr[1]
  if (Number.isNaN(result)) result = Number.POSITIVE_INFINITY
  return sign < 0 ? -result : result
}

const bits = new DataView(new ArrayBuffer(8))

/** Clears the low 26 bits of a double's significand (Dekker's split). */
function highHalf(x: number): number {
  bits.setFloat64(0, x)
  bits.setUint32(4, bits.getUint32(4) & 0xfc000000)
  return bits.getFloat64(0)
}

/** x = x * (y + yy) in double-double arithmetic, operation for operation as SQLite does it. */
function dekkerMul2(x: [number, number], y: number, yy: number): void {
  const hx = highHalf(x[0])
  const tx = x[0] - hx
  const hy = highHalf(y)
  const ty = y - hy
  const p = hx * hy
  const q = hx * ty + tx * hy
  const c = p + q
  let cc = p - c + q + tx * ty
  cc = x[0] * yy + x[1] * y + cc
  x[0] = c + cc
  x[1] = c - x[0]
  x[1] += cc
}
