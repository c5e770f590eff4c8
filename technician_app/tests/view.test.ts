// The forced save after a sync waits for the list to show what the sync stored, never longer than VIEW_WAIT_MS.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { VIEW_WAIT_MS, ViewGenerations } from '../src/view'

function settled(p: Promise<void>): () => boolean {
  let done = false
  void p.then(() => { done = true })
  return () => done
}

describe('view generations', () => {
  afterEach(() => { vi.useRealTimers() })

  it('waits for the first view to be painted', async () => {
    const g = new ViewGenerations()
    const ready = settled(g.current())
    await Promise.resolve()
    expect(ready()).toBe(false)
    g.painted(0)
    await Promise.resolve()
    expect(ready()).toBe(true)
  })

  it('waits for a view loaded after the last change, not for one loaded before it', async () => {
    const g = new ViewGenerations()
    g.painted(0)
    const loadedBefore = g.seen
    g.changed() // the sync's batch lands while that view is drawn
    const ready = settled(g.current())
    g.painted(loadedBefore)
    await Promise.resolve()
    expect(ready()).toBe(false)
    g.painted(g.seen)
    await Promise.resolve()
    expect(ready()).toBe(true)
  })

  it('does not wait when the painted view is current', async () => {
    const g = new ViewGenerations()
    g.changed()
    g.painted(g.seen)
    const ready = settled(g.current())
    await Promise.resolve()
    expect(ready()).toBe(true)
  })

  it('lets the save go after the longest wait when no view comes', async () => {
    vi.useFakeTimers()
    const g = new ViewGenerations()
    g.changed()
    const ready = settled(g.current())
    await vi.advanceTimersByTimeAsync(VIEW_WAIT_MS - 1)
    expect(ready()).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(ready()).toBe(true)
  })
})
