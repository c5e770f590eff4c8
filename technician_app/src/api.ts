// Same-origin calls to the Anxin API with the device token. A cut network throws an error marked `network`;
// an answer with an error status throws with `status`, `code` and the server's (translated) message.
import type { SyncError } from './outbox'

const KEY = 'anxin-tech-session'

export interface Session { token: string; tokenId: string; username: string; deviceName: string }

export function loadSession(): Session | null {
  try { return JSON.parse(localStorage.getItem(KEY) ?? 'null') } catch { return null }
}
export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s))
  else localStorage.removeItem(KEY)
}

export interface ApiError extends SyncError { code?: string; details?: any }

function lang(): string {
  return localStorage.getItem('anxin-tech-lang') === 'en' ? 'en' : 'zh-hans'
}

export async function request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}):
  Promise<{ status: number; json: any }> {
  const session = loadSession()
  const headers: Record<string, string> = { 'Accept-Language': lang(), ...extra }
  if (session) headers.Authorization = `Bearer ${session.token}`
  let payload: BodyInit | undefined
  if (body instanceof Blob) payload = body
  else if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json' }
  let response: Response
  try {
    response = await fetch(path, { method, headers, body: payload, cache: 'no-store', credentials: 'omit' })
  } catch (e) {
    throw Object.assign(new Error('network'), { network: true, cause: e }) as ApiError
  }
  const text = await response.text()
  let json: any = null
  try { json = text ? JSON.parse(text) : null } catch { json = { code: 'bad_answer', message: text.slice(0, 200) } }
  return { status: response.status, json }
}

/** As `request`, but an error status throws. */
export async function api(method: string, path: string, body?: unknown): Promise<any> {
  const r = await request(method, path, body)
  if (r.status >= 400) {
    const error = new Error(`${method} ${path} -> ${r.status} ${r.json?.code ?? ''}`) as ApiError
    error.status = r.status
    error.code = r.json?.code
    error.details = r.json?.details
    error.message = r.json?.message ?? error.message
    throw error
  }
  return r.json
}
