// A cost estimate waits in the `ops` store until sent (POST /api/v1/orders/{id}/estimate, outside the sync protocol).
// Its record id, made when it is queued, is its client id: sent on every try, so a retry after a lost answer gets
// the estimate the first try made (200) and never starts a second approval.

export interface Estimate {
  id: string; orderId: string; orderServerId: string; lines: { item: string; amount: number }[]; total: number
  note: string; createdAt: number; status: 'queued' | 'done' | 'failed'; approval?: string | null; error?: string | null
}

/** The body sent for a queued estimate: the same on every try, its client id included. */
export function estimateBody(e: Pick<Estimate, 'id' | 'total' | 'note'>): { amount_yuan: string; note: string; client_id: string } {
  return { amount_yuan: e.total.toFixed(2), note: e.note, client_id: e.id }
}

/** The record after the server's answer: 201 made, 200 made by an earlier try; a 401 throws (signed out). */
export function estimateAnswered(e: Estimate, r: { status: number; json: any }): Estimate {
  if (r.status === 201 || r.status === 200) return { ...e, status: 'done', approval: r.json?.status ?? null, error: null }
  if (r.status === 401) throw Object.assign(new Error('revoked'), { status: 401 })
  return { ...e, status: 'failed', error: `${r.json?.code ?? r.status}: ${r.json?.message ?? ''}` }
}
