// Photos and signatures: blobs in their own IndexedDB store (never inside WatermelonDB records), uploaded
// through the resumable upload endpoint (/api/v1/sync/uploads): chunked, resumed from the offset the server
// reports after a drop, never twice (the same client id opens the same upload; the server deduplicates content).
import { openDB, type IDBPDatabase } from 'idb'

export type PhotoKind = 'before' | 'after' | 'signature'
export type PhotoStatus = 'queued' | 'done' | 'failed'

export interface Photo {
  id: string // 16 characters [0-9a-zA-Z]: the upload's client id
  orderId: string // the order's sync id (work_orders.id)
  orderServerId: string // the order's id in the API (work_orders.server_id)
  kind: PhotoKind
  blob: Blob
  size: number
  sha256: string
  createdAt: number
  status: PhotoStatus
  offset: number // bytes the server acknowledged
  attachmentId?: string | null
  error?: string | null
}

export interface PhotoStore {
  all(): Promise<Photo[]>
  put(photo: Photo): Promise<void>
}

export function idbPhotoStore(name = 'anxin-tech-photos'): PhotoStore & { db: Promise<IDBPDatabase> } {
  const db = openDB(name, 1, {
    upgrade(d) {
      const store = d.createObjectStore('photos', { keyPath: 'id' })
      store.createIndex('orderId', 'orderId')
      d.createObjectStore('ops', { keyPath: 'id' }) // estimates: calls outside the sync protocol (sync.ts)
    },
  })
  return {
    db,
    async all() { return (await db).getAll('photos') as Promise<Photo[]> },
    // Resolves once the IndexedDB transaction has committed.
    async put(photo) { const d = await db; const tx = d.transaction('photos', 'readwrite'); await tx.store.put(photo); await tx.done },
  }
}

export function memoryPhotoStore(): PhotoStore {
  const rows = new Map<string, Photo>()
  return { async all() { return [...rows.values()].map((p) => ({ ...p })) }, async put(p) { rows.set(p.id, { ...p }) } }
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
export function clientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => ALPHABET[b % 62]).join('')
}

export async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

export async function queuePhoto(store: PhotoStore, p: { orderId: string; orderServerId: string; kind: PhotoKind; blob: Blob; now: number }): Promise<Photo> {
  const photo: Photo = { id: clientId(), orderId: p.orderId, orderServerId: p.orderServerId, kind: p.kind, blob: p.blob,
    size: p.blob.size, sha256: await sha256Hex(p.blob), createdAt: p.now, status: 'queued', offset: 0 }
  await store.put(photo)
  return photo
}

/** What the upload needs from the network: a fetch-like call that answers status and JSON, or throws on a cut. */
export type Http = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  Promise<{ status: number; json: any }>

export class UploadRefused extends Error {
  constructor(public code: string, message: string) { super(message) }
}

export const CHUNK_BYTES = 256 * 1024

/** Uploads one photo, resuming from where the server stands. Network errors propagate (retry later). */
export async function uploadPhoto(photo: Photo, store: PhotoStore, http: Http, chunkBytes = CHUNK_BYTES): Promise<Photo> {
  const filename = `${photo.kind}-${photo.id}.${photo.blob.type === 'image/png' ? 'png' : 'jpg'}`
  const opened = await http('POST', '/api/v1/sync/uploads', { client_id: photo.id, order_id: photo.orderServerId,
    size: photo.size, sha256: photo.sha256, filename, owner_visible: photo.kind !== 'signature' })
  if (opened.status >= 400) return refuse(photo, store, opened.json)
  const upload = opened.json
  let offset: number = upload.offset ?? 0
  let restarts = 0
  while (upload.status !== 'complete') {
    while (offset < photo.size) {
      const chunk = photo.blob.slice(offset, Math.min(offset + chunkBytes, photo.size))
      const r = await http('PUT', `/api/v1/sync/uploads/${upload.id}`, chunk, {
        'Content-Type': 'application/octet-stream', 'Upload-Offset': String(offset) })
      if (r.status === 200) offset = r.json.offset
      else if (r.status === 409 && r.json?.details?.offset !== undefined) offset = r.json.details.offset
      else return refuse(photo, store, r.json)
      photo = { ...photo, offset }
      await store.put(photo)
    }
    const done = await http('POST', `/api/v1/sync/uploads/${upload.id}/complete`)
    if (done.status === 200) { upload.status = 'complete'; upload.attachment_id = done.json.attachment_id; break }
    if (done.status === 422 && done.json?.code === 'upload_hash_mismatch' && restarts < 1) { restarts += 1; offset = 0; continue }
    return refuse(photo, store, done.json)
  }
  photo = { ...photo, status: 'done', offset: photo.size, attachmentId: upload.attachment_id ?? null, error: null }
  await store.put(photo)
  return photo
}

async function refuse(photo: Photo, store: PhotoStore, json: any): Promise<Photo> {
  const failed: Photo = { ...photo, status: 'failed', error: `${json?.code ?? 'error'}: ${json?.message ?? ''}` }
  await store.put(failed)
  return failed
}

/** Uploads every queued photo of orders the phone still holds, oldest first; stops at the first network cut. */
export async function drainPhotos(store: PhotoStore, http: Http, heldOrders: Set<string>, chunkBytes = CHUNK_BYTES): Promise<{ uploaded: number; left: number }> {
  const queued = (await store.all()).filter((p) => p.status === 'queued').sort((a, b) => a.createdAt - b.createdAt)
  let uploaded = 0
  for (const photo of queued) {
    if (!heldOrders.has(photo.orderId)) {
      await store.put({ ...photo, status: 'failed', error: 'order_left_scope' })
      continue
    }
    const result = await uploadPhoto(photo, store, http, chunkBytes)
    if (result.status === 'done') uploaded += 1
  }
  const left = (await store.all()).filter((p) => p.status === 'queued').length
  return { uploaded, left }
}

/** Shrinks a camera photo on the device (longest side ≤ maxSide) to a JPEG blob. */
export async function resizeImage(file: Blob, maxSide = 1600, quality = 0.85): Promise<Blob> {
  const bitmap = await createImageBitmap(file)
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height))
  const canvas = document.createElement('canvas')
  canvas.width = Math.round(bitmap.width * scale)
  canvas.height = Math.round(bitmap.height * scale)
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
  bitmap.close()
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode'))), 'image/jpeg', quality))
}
