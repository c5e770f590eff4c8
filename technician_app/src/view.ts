// What the screen shows against what the database holds: a sync's forced save waits until the list is drawn.

// How long a sync's forced save may wait for the list to be drawn (a slow phone, a long render): then it saves anyway.
export const VIEW_WAIT_MS = 2000

/**
 * Which database changes the screen shows: `seen` counts the changes notified, `shown` is the count a view was loaded
 * after once that view is painted. `current()` resolves when the painted view was loaded after every change notified
 * so far (or after VIEW_WAIT_MS).
 */
export class ViewGenerations {
  seen = 0
  shown = -1
  private waiters: { at: number; done: () => void }[] = []

  changed(): void { this.seen += 1 }

  painted(loadedAt: number): void {
    this.shown = Math.max(this.shown, loadedAt)
    const ready = this.waiters.filter((w) => w.at <= this.shown)
    this.waiters = this.waiters.filter((w) => w.at > this.shown)
    for (const w of ready) w.done()
  }

  current(waitMs = VIEW_WAIT_MS): Promise<void> {
    if (this.shown >= this.seen) return Promise.resolve()
    const at = this.seen
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, waitMs)
      this.waiters.push({ at, done: () => { clearTimeout(timer); resolve() } })
    })
  }
}
