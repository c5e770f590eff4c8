// The sync engine: WatermelonDB's synchronize() against /api/v1/sync/* unchanged, then the photo queue, and the
// estimates (the one step outside the sync protocol: POST /api/v1/orders/{id}/estimate) before each push.
import type { Database } from '@nozbe/watermelondb'
import { synchronize, hasUnsyncedChanges } from '@nozbe/watermelondb/sync'
import { api, request } from './api'
import { forceSave, rows } from './db'
import { drainPhotos, clientId, type PhotoStore } from './photos'
import { estimateAnswered, estimateBody, type Estimate } from './estimates'
import type { IDBPDatabase } from 'idb'

export interface Note { id: string; at: number; kind: 'left_scope'; orderId: string; number: string; place: string }
const NOTES = 'anxin-tech-notes'
export const loadNotes = (): Note[] => { try { return JSON.parse(localStorage.getItem(NOTES) ?? '[]') } catch { return [] } }
export const saveNotes = (n: Note[]) => localStorage.setItem(NOTES, JSON.stringify(n))

export type { Estimate } from './estimates'

export async function estimates(db: IDBPDatabase): Promise<Estimate[]> {
  return (await db.getAll('ops')) as Estimate[]
}

export async function queueEstimate(db: IDBPDatabase, e: Omit<Estimate, 'id' | 'status'>): Promise<void> {
  const tx = db.transaction('ops', 'readwrite')
  await tx.store.put({ ...e, id: clientId(), status: 'queued' })
  await tx.done
}

/**
 * Estimates go after the push, so that the server sees the order at work and, above the threshold, makes it wait for
 * the approval; an order the phone also finished offline gets its estimate before the push (after it, the order
 * would already be completed and the estimate refused). Returns how many were sent.
 */
async function sendEstimates(db: IDBPDatabase, held: Map<string, any>, finishing: Set<string>, phase: 'before' | 'after'): Promise<number> {
  let sent = 0
  const queued = (await estimates(db)).filter((x) => x.status === 'queued').sort((a, b) => a.createdAt - b.createdAt)
  for (const e of queued.filter((x) => (phase === 'before') === finishing.has(x.orderId))) {
    sent += 1
    const order = held.get(e.orderId)
    let next: Estimate
    if (!order) next = { ...e, status: 'failed', error: 'order_left_scope' }
    else {
      // The record's own id is the estimate's client id: a retry after a lost answer gets the same estimate back
      // (200), never a second one.
      next = estimateAnswered(e, await request('POST', `/api/v1/orders/${e.orderServerId}/estimate`, estimateBody(e)))
    }
    const tx = db.transaction('ops', 'readwrite'); await tx.store.put(next); await tx.done
  }
  return sent
}

async function syncDatabase(database: Database): Promise<void> {
  await synchronize({
    database,
    pullChanges: async ({ lastPulledAt, schemaVersion, migration }) => {
      const query = `last_pulled_at=${lastPulledAt ?? 'null'}&schema_version=${schemaVersion}` +
        `&migration=${encodeURIComponent(JSON.stringify(migration ?? null))}`
      const { changes, timestamp } = await api('GET', `/api/v1/sync/pull?${query}`)
      performance.mark('anxin:pulled') // the bench's breakdown (bench/tech_first_sync.py)
      // An order that left the scope (cancelled, reassigned) disappears with a note.
      const gone: string[] = changes.work_orders?.deleted ?? []
      if (gone.length) {
        const held = new Map((await rows(database, 'work_orders')).map((o) => [o.id, o]))
        const notes = loadNotes()
        for (const id of gone) {
          const o = held.get(id)
          if (o && !notes.some((n) => n.orderId === id)) {
            notes.push({ id: clientId(), at: Date.now(), kind: 'left_scope', orderId: id, number: o.number, place: o.place })
          }
        }
        saveNotes(notes)
      }
      return { changes, timestamp }
    },
    pushChanges: async ({ changes, lastPulledAt }) => {
      await api('POST', `/api/v1/sync/push?last_pulled_at=${lastPulledAt}`, { changes, last_pulled_at: lastPulledAt })
    },
  })
}

/**
 * One sync. `beforeSave` (the app: "the list shows what is now stored") runs after the pulls are applied and before
 * the forced save: the save serialises every changed Loki chunk on the main thread, and a first pull of 2 000 orders
 * would otherwise hold the list's first paint behind it. The save still happens, and is awaited, before the sync
 * counts as done (the last-sync time, the photo queue); until then the data is in Loki's memory as after any write.
 */
export async function syncAll(database: Database, photos: PhotoStore, ops: IDBPDatabase,
  beforeSave: () => Promise<void> = async () => undefined): Promise<void> {
  const heldBefore = new Map((await rows(database, 'work_orders')).map((o) => [o.id, o]))
  const finishing = new Set((await rows(database, 'work_order_events'))
    .filter((e) => e.status === 'pending' && e.to_state === 'completed').map((e) => e.work_order_id))
  await sendEstimates(ops, heldBefore, finishing, 'before')
  const pushing = await hasUnsyncedChanges({ database })
  await syncDatabase(database)
  performance.mark('anxin:applied')
  const heldAfter = new Map((await rows(database, 'work_orders')).map((o) => [o.id, o]))
  const estimated = await sendEstimates(ops, heldAfter, finishing, 'after')
  // What the server made of the push (applied or refused steps, server versions, an order now waiting for an
  // approval) comes back in the next pull.
  if (pushing || estimated) await syncDatabase(database)
  await beforeSave()
  await forceSave(database)
  performance.mark('anxin:saved')
  const held = new Set((await rows(database, 'work_orders')).map((o) => o.id))
  await drainPhotos(photos, request, held)
}
