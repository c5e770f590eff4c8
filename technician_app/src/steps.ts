// The steps a technician takes on an order, as events. The app never writes `state`: it appends a
// work_order_events row (from, to, device time) and the server replays it through its one state machine.
// The state shown on the phone is the server's state with the pending steps applied in device order.

export type State =
  | 'submitted' | 'accepted' | 'assigned' | 'en_route' | 'on_site' | 'in_progress' | 'waiting'
  | 'completed' | 'closed' | 'reopened' | 'cancelled' | 'rejected'

export type WaitingReason = 'parts' | 'owner' | 'approval'

export interface EventRow {
  id: string
  work_order_id: string
  from_state: string | null
  to_state: string
  device_at: number | null
  note: string
  status: string // 'pending' on the phone until the server answers; then 'applied' or 'refused'
  reason: string | null
  server_at?: number | null
}

// The technician's own steps in the server's table (backend/workorders/states.py, FIELD).
export const FIELD_STEPS: Record<string, string[]> = {
  assigned: ['en_route', 'on_site'],
  en_route: ['on_site'],
  on_site: ['in_progress', 'waiting'],
  in_progress: ['waiting', 'completed'],
  waiting: ['in_progress'],
}

export function isPending(e: EventRow): boolean {
  return e.status === 'pending'
}

/** Device order: by device time, then by id (two taps in one millisecond keep a stable order). */
export function byDeviceTime(a: EventRow, b: EventRow): number {
  return (a.device_at ?? 0) - (b.device_at ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The state the technician sees: the server's, moved on by the steps not yet synced. */
export function projectedState(serverState: string, events: EventRow[]): string {
  const pending = events.filter(isPending).sort(byDeviceTime)
  return pending.length ? pending[pending.length - 1].to_state : serverState
}

export function nextSteps(state: string): string[] {
  return FIELD_STEPS[state] ?? []
}

/** A new step from the shown state, or an error code when the step is not the technician's to take now. */
export function makeStep(opts: { orderId: string; shownState: string; to: string; at: number; note?: string }):
  { ok: true; row: Omit<EventRow, 'id'> } | { ok: false; code: 'not_allowed' } {
  if (!nextSteps(opts.shownState).includes(opts.to)) return { ok: false, code: 'not_allowed' }
  return {
    ok: true,
    row: { work_order_id: opts.orderId, from_state: opts.shownState, to_state: opts.to, device_at: opts.at,
      note: opts.note ?? '', status: 'pending', reason: null },
  }
}

/** The step's device time: never before the last step of the order (a clock set back must not reorder them). */
export function stepTime(now: number, events: EventRow[]): number {
  const last = events.reduce((m, e) => Math.max(m, e.device_at ?? 0), 0)
  return Math.max(now, last + 1)
}
