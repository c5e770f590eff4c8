// SLA countdowns computed on the device from the synced deadlines (epoch milliseconds).

export interface Deadlines {
  response_due_at?: number | null
  arrival_due_at?: number | null
  resolution_due_at?: number | null
}

export type Target = 'response' | 'arrival' | 'resolution'

/** The deadline that matters in the shown state: arrival until the technician is on site, then resolution. */
export function currentDeadline(order: Deadlines, state: string): { target: Target; at: number } | null {
  if (['completed', 'closed', 'cancelled', 'rejected'].includes(state)) return null
  const beforeArrival = ['submitted', 'accepted', 'assigned', 'en_route', 'reopened'].includes(state)
  const candidates: [Target, number | null | undefined][] = beforeArrival
    ? [['response', order.response_due_at], ['arrival', order.arrival_due_at], ['resolution', order.resolution_due_at]]
    : [['resolution', order.resolution_due_at]]
  for (const [target, at] of candidates) if (typeof at === 'number') return { target, at }
  return null
}

export interface Countdown { overdue: boolean; minutes: number; level: 'ok' | 'soon' | 'late' }

export function countdown(at: number, now: number): Countdown {
  const ms = at - now
  const minutes = Math.floor(Math.abs(ms) / 60000)
  return { overdue: ms < 0, minutes, level: ms < 0 ? 'late' : ms < 2 * 3600000 ? 'soon' : 'ok' }
}

/** "2小时05分" / "2h 05m"; days above 48 hours. */
export function formatMinutes(minutes: number, lang: 'zh' | 'en'): string {
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  const m = minutes % 60
  const pad = String(m).padStart(2, '0')
  if (minutes >= 2880) return lang === 'zh' ? `${d}天${h}小时` : `${d}d ${h}h`
  const hours = Math.floor(minutes / 60)
  if (hours > 0) return lang === 'zh' ? `${hours}小时${pad}分` : `${hours}h ${pad}m`
  return lang === 'zh' ? `${m}分钟` : `${m}m`
}

const PRIORITY_RANK: Record<string, number> = { P1: 0, P2: 1, P3: 2, P4: 3 }

/** Most urgent first: the nearest (or most overdue) deadline, then priority, then number. */
export function byUrgency<T extends { number: string; priority: string; due: number | null }>(a: T, b: T): number {
  const da = a.due ?? Number.POSITIVE_INFINITY
  const db = b.due ?? Number.POSITIVE_INFINITY
  if (da !== db) return da < db ? -1 : 1
  const pa = PRIORITY_RANK[a.priority] ?? 9
  const pb = PRIORITY_RANK[b.priority] ?? 9
  // Order numbers are ASCII of one format (WX20261202-0001): code-unit order is their order, and much cheaper than
  // localeCompare (ICU), which a 2 000-order list sorted with no deadlines would call ~20 000 times.
  return pa - pb || (a.number < b.number ? -1 : a.number > b.number ? 1 : 0)
}
