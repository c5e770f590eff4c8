// What the phone has not yet sent, and when it syncs: automatically when the network returns, every few minutes
// while online, on demand, with backoff after failures; a 409 is answered by pulling and pushing again.

/** Rows WatermelonDB still has to push (created / updated / deleted locally), by table. */
export function pendingCount(rowsByTable: Record<string, { _status?: string }[]>): number {
  let n = 0
  for (const rows of Object.values(rowsByTable)) for (const r of rows) if (r._status && r._status !== 'synced') n += 1
  return n
}

export const INTERVAL_MS = 3 * 60 * 1000
export const BACKOFF_MS = [5_000, 15_000, 60_000, 180_000, 300_000]

export function backoffDelay(failures: number): number {
  return BACKOFF_MS[Math.min(Math.max(failures, 1), BACKOFF_MS.length) - 1]
}

export interface SyncError extends Error { status?: number; network?: boolean }

/** Runs `syncOnce` until it succeeds or fails for a reason a retry will not fix (a 409 is retried at once). */
export async function syncWithConflictRetry(syncOnce: () => Promise<void>, maxAttempts = 5): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await syncOnce()
      return attempt
    } catch (error) {
      if ((error as SyncError).status !== 409 || attempt >= maxAttempts) throw error
    }
  }
}

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export type SyncOutcome = { ok: true; at: number } | { ok: false; error: SyncError; retryInMs: number | null }

/** One sync at a time; the next one planned after the interval, or after a backoff when it failed. */
export class Scheduler {
  failures = 0
  running: Promise<SyncOutcome> | null = null
  again = false
  private timer: unknown = null

  constructor(private run: () => Promise<void>, private clock: Clock, private isOnline: () => boolean,
              private onOutcome: (o: SyncOutcome) => void) {}

  /** Sync now (or right after the one running). */
  trigger(): Promise<SyncOutcome> {
    if (this.stopped) return Promise.resolve({ ok: false, error: Object.assign(new Error('stopped'), { network: true }), retryInMs: null })
    if (this.running) { this.again = true; return this.running }
    this.running = this.once().finally(() => {
      this.running = null
      if (this.again) { this.again = false; void this.trigger() }
    })
    return this.running
  }

  private async once(): Promise<SyncOutcome> {
    this.clock.clearTimeout(this.timer)
    if (!this.isOnline()) {
      const outcome: SyncOutcome = { ok: false, error: Object.assign(new Error('offline'), { network: true }), retryInMs: null }
      this.onOutcome(outcome)
      return outcome
    }
    let outcome: SyncOutcome
    try {
      await syncWithConflictRetry(this.run)
      this.failures = 0
      outcome = { ok: true, at: this.clock.now() }
      this.plan(INTERVAL_MS)
    } catch (e) {
      const error = e as SyncError
      this.failures += 1
      // A revoked token will not come back by retrying: the app signs out.
      const retry = error.status === 401 ? null : backoffDelay(this.failures)
      if (retry !== null) this.plan(retry)
      outcome = { ok: false, error, retryInMs: retry }
    }
    this.onOutcome(outcome)
    return outcome
  }

  private plan(ms: number): void {
    this.clock.clearTimeout(this.timer)
    if (this.stopped) return
    this.timer = this.clock.setTimeout(() => { void this.trigger() }, ms)
  }

  stopped = false

  /** No more syncs (sign-out, or a test ending); resolves when the one running, if any, is over. */
  stop(): Promise<unknown> {
    this.stopped = true
    this.again = false
    this.clock.clearTimeout(this.timer)
    return this.running ?? Promise.resolve(null)
  }
}
