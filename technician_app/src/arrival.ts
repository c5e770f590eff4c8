// Arrival confirmed on site, offline: by scanning the unit's QR label (it encodes <site>/q/<token>) or by typing the
// check code printed under it. The phone never holds the token: the pull gives each unit its check code
// (`units.qr_check`, backend.properties.qr.qr_check_code), the first 40 bits of SHA-256("anxin-qr-check-v1:" + token)
// in Crockford base32, which the phone derives from a scanned token the same way.

export const CHECK_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const CONTEXT = 'anxin-qr-check-v1:'
const TOKEN = /^[A-Za-z0-9_-]{24}$/
const TOKEN_IN_URL = /\/q\/([A-Za-z0-9_-]{24})(?:[/?#]|$)/

/** The check code of a token, as the server computes it. */
export async function checkCodeOf(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(CONTEXT + token)))
  let bits = 0
  for (let i = 0; i < 5; i += 1) bits = bits * 256 + digest[i] // 40 bits: exact in a double
  let code = ''
  for (let i = 0; i < 8; i += 1) code += CHECK_ALPHABET[Math.floor(bits / 2 ** (35 - 5 * i)) % 32]
  return code
}

/** The token in what a QR label holds (its URL), or in a token typed or pasted as is. */
export function tokenIn(text: string): string | null {
  const s = text.trim()
  if (TOKEN.test(s)) return s
  const m = s.match(TOKEN_IN_URL)
  return m ? m[1] : null
}

/** A typed check code, as Crockford reads it (case, spaces and dashes ignored; O is 0, I and L are 1), or null. */
export function normalizeCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
  if (s.length !== 8) return null
  for (const c of s) if (!CHECK_ALPHABET.includes(c)) return null
  return s
}

export const showCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`

export type ArrivalMethod = 'scan' | 'code'
export type ArrivalCheck =
  | { ok: true; method: ArrivalMethod; code: string }
  | { ok: false; reason: 'wrong_unit' | 'not_a_label' | 'bad_code' | 'no_code'; code?: string }

/**
 * Whether what was scanned (`method: 'scan'`, the QR's text) or typed (`'code'`: the check code, or the label's URL
 * or token pasted) names the order's unit, whose check code the phone holds (`expected`, null when the unit has no
 * label yet).
 */
export async function checkArrival(input: string, expected: string | null | undefined, method: ArrivalMethod): Promise<ArrivalCheck> {
  if (!expected) return { ok: false, reason: 'no_code' }
  const token = tokenIn(input)
  let code: string | null
  if (token) code = await checkCodeOf(token)
  else if (method === 'scan') return { ok: false, reason: 'not_a_label' }
  else code = normalizeCode(input)
  if (!code) return { ok: false, reason: 'bad_code' }
  return code === expected ? { ok: true, method, code } : { ok: false, reason: 'wrong_unit', code }
}

/** The arrival step's note: says how it was confirmed, with the code (a stable marker the office can search for). */
export function arrivalNote(check: { method: ArrivalMethod; code: string }, label: (s: string) => string): string {
  return `${label('到达现场')} · ${label(check.method === 'scan' ? '扫码确认' : '确认码确认')} [QR ${showCode(check.code)}]`
}
