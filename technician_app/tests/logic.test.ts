// The app's own logic, in node (vitest): the outbox and its scheduler, the countdowns, the steps, the photo queue.
import { describe, expect, it } from 'vitest'
import { Scheduler, backoffDelay, pendingCount, syncWithConflictRetry, INTERVAL_MS, type Clock } from '../src/outbox'
import { byUrgency, countdown, currentDeadline, formatMinutes } from '../src/countdown'
import { makeStep, projectedState, stepTime, type EventRow } from '../src/steps'
import { drainPhotos, memoryPhotoStore, queuePhoto, uploadPhoto, type Http } from '../src/photos'
import { estimateAnswered, estimateBody, type Estimate } from '../src/estimates'
import { arrivalNote, checkArrival, checkCodeOf, normalizeCode, showCode, tokenIn } from '../src/arrival'
import { articlesFor, parseSteps } from '../src/articles'

function fakeClock(start = 1_000_000) {
  const timers: { at: number; fn: () => void; id: number }[] = []
  let now = start
  let next = 1
  const clock: Clock & { advance(ms: number): void; pending(): number[] } = {
    now: () => now,
    setTimeout: (fn, ms) => { const id = next++; timers.push({ at: now + ms, fn, id }); return id },
    clearTimeout: (id) => { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1) },
    advance(ms) {
      now += ms
      for (const t of timers.filter((x) => x.at <= now)) { timers.splice(timers.indexOf(t), 1); t.fn() }
    },
    pending: () => timers.map((t) => t.at - now),
  }
  return clock
}

describe('outbox', () => {
  it('counts every row WatermelonDB still has to push', () => {
    expect(pendingCount({ a: [{ _status: 'created' }, { _status: 'synced' }], b: [{ _status: 'updated' }, { _status: 'deleted' }] })).toBe(3)
    expect(pendingCount({ a: [{ _status: 'synced' }] })).toBe(0)
  })

  it('answers a 409 by syncing again (pull, then push), and gives up after five', async () => {
    let calls = 0
    const attempts = await syncWithConflictRetry(async () => { calls += 1; if (calls < 3) throw Object.assign(new Error('c'), { status: 409 }) })
    expect(attempts).toBe(3)
    calls = 0
    await expect(syncWithConflictRetry(async () => { calls += 1; throw Object.assign(new Error('c'), { status: 409 }) })).rejects.toThrow()
    expect(calls).toBe(5)
  })

  it('does not retry other failures at once', async () => {
    let calls = 0
    await expect(syncWithConflictRetry(async () => { calls += 1; throw Object.assign(new Error('x'), { status: 500 }) })).rejects.toThrow()
    expect(calls).toBe(1)
  })

  it('backs off after failures and syncs every few minutes after a success', async () => {
    const clock = fakeClock()
    let fail = true
    const outcomes: boolean[] = []
    const s = new Scheduler(async () => { if (fail) throw Object.assign(new Error('net'), { network: true }) }, clock, () => true, (o) => outcomes.push(o.ok))
    await s.trigger()
    expect(clock.pending()).toEqual([backoffDelay(1)])
    await s.trigger()
    expect(clock.pending()).toEqual([backoffDelay(2)])
    expect(backoffDelay(2)).toBeGreaterThan(backoffDelay(1))
    fail = false
    clock.advance(backoffDelay(2))
    await s.running
    expect(outcomes).toEqual([false, false, true])
    expect(clock.pending()).toEqual([INTERVAL_MS])
  })

  it('stops planning after a revoked token (401): the app signs out', async () => {
    const clock = fakeClock()
    const s = new Scheduler(async () => { throw Object.assign(new Error('revoked'), { status: 401 }) }, clock, () => true, () => undefined)
    const outcome = await s.trigger()
    expect(outcome.ok).toBe(false)
    expect(clock.pending()).toEqual([])
  })

  it('runs one sync at a time and one more for a trigger that came meanwhile', async () => {
    const clock = fakeClock()
    let running = 0
    let max = 0
    let runs = 0
    let release: () => void = () => undefined
    const s = new Scheduler(async () => {
      runs += 1; running += 1; max = Math.max(max, running)
      await new Promise<void>((r) => { release = r })
      running -= 1
    }, clock, () => true, () => undefined)
    const first = s.trigger()
    void s.trigger(); void s.trigger()
    release(); await first
    await new Promise((r) => setTimeout(r, 0))
    release(); await s.running
    expect(runs).toBe(2)
    expect(max).toBe(1)
  })

  it('does not call the server while offline', async () => {
    let calls = 0
    const s = new Scheduler(async () => { calls += 1 }, fakeClock(), () => false, () => undefined)
    const outcome = await s.trigger()
    expect(outcome.ok).toBe(false)
    expect(calls).toBe(0)
  })
})

describe('steps', () => {
  const ev = (to: string, at: number, status = 'pending'): EventRow => ({ id: `e${at}`, work_order_id: 'o', from_state: null, to_state: to, device_at: at, note: '', status, reason: null })

  it('shows the server state moved on by the pending steps in device order', () => {
    expect(projectedState('assigned', [])).toBe('assigned')
    expect(projectedState('assigned', [ev('on_site', 20), ev('en_route', 10)])).toBe('on_site')
    expect(projectedState('on_site', [ev('en_route', 10, 'applied'), ev('on_site', 20, 'applied')])).toBe('on_site')
  })

  it('only offers the technician steps the server state machine allows', () => {
    expect(makeStep({ orderId: 'o', shownState: 'assigned', to: 'en_route', at: 1 }).ok).toBe(true)
    expect(makeStep({ orderId: 'o', shownState: 'assigned', to: 'completed', at: 1 })).toEqual({ ok: false, code: 'not_allowed' })
    expect(makeStep({ orderId: 'o', shownState: 'cancelled', to: 'en_route', at: 1 }).ok).toBe(false)
    const made = makeStep({ orderId: 'o', shownState: 'in_progress', to: 'completed', at: 5, note: '完成' })
    expect(made.ok && made.row).toMatchObject({ from_state: 'in_progress', to_state: 'completed', device_at: 5, status: 'pending' })
  })

  it('never dates a step before the last one, even with a clock set back', () => {
    expect(stepTime(100, [ev('en_route', 500)])).toBe(501)
    expect(stepTime(900, [ev('en_route', 500)])).toBe(900)
  })
})

describe('countdowns', () => {
  const H = 3600_000
  it('counts down to arrival until on site, then to resolution', () => {
    const order = { response_due_at: null, arrival_due_at: 10 * H, resolution_due_at: 50 * H }
    expect(currentDeadline(order, 'assigned')).toEqual({ target: 'arrival', at: 10 * H })
    expect(currentDeadline(order, 'in_progress')).toEqual({ target: 'resolution', at: 50 * H })
    expect(currentDeadline(order, 'completed')).toBeNull()
    expect(currentDeadline({ arrival_due_at: null, resolution_due_at: null }, 'assigned')).toBeNull()
  })

  it('says how long is left or how late it is', () => {
    expect(countdown(3 * H, 0)).toEqual({ overdue: false, minutes: 180, level: 'ok' })
    expect(countdown(H, 0).level).toBe('soon')
    expect(countdown(0, 35 * 60_000)).toEqual({ overdue: true, minutes: 35, level: 'late' })
    expect(formatMinutes(125, 'zh')).toBe('2小时05分')
    expect(formatMinutes(125, 'en')).toBe('2h 05m')
    expect(formatMinutes(9, 'zh')).toBe('9分钟')
    expect(formatMinutes(3 * 1440 + 60, 'zh')).toBe('3天1小时')
  })

  it('sorts the most urgent first: nearest deadline, then priority', () => {
    const items = [
      { number: 'A', priority: 'P3', due: null }, { number: 'B', priority: 'P1', due: null },
      { number: 'C', priority: 'P3', due: 5 }, { number: 'D', priority: 'P2', due: -5 },
    ]
    expect(items.sort(byUrgency).map((i) => i.number)).toEqual(['D', 'C', 'B', 'A'])
  })
})

// A resumable upload server in memory, with a network that can cut a request.
function uploadServer() {
  const uploads = new Map<string, { id: string; size: number; received: Uint8Array[]; offset: number; status: string; clientId: string }>()
  const log: string[] = []
  let cutAfter = Infinity
  let attachments = 0
  const http: Http = async (method, path, body: any, headers = {}) => {
    if (cutAfter <= 0) throw Object.assign(new Error('network'), { network: true })
    cutAfter -= 1
    log.push(`${method} ${path}${headers['Upload-Offset'] !== undefined ? ` @${headers['Upload-Offset']}` : ''}`)
    if (method === 'POST' && path === '/api/v1/sync/uploads') {
      const existing = [...uploads.values()].find((u) => u.clientId === body.client_id)
      if (existing) return { status: 200, json: { id: existing.id, offset: existing.offset, size: existing.size, status: existing.status } }
      const u = { id: `u${uploads.size + 1}`, size: body.size, received: [], offset: 0, status: 'open', clientId: body.client_id }
      uploads.set(u.id, u)
      return { status: 201, json: { id: u.id, offset: 0, size: u.size, status: 'open' } }
    }
    const id = path.split('/')[5]
    const u = uploads.get(id)!
    if (method === 'PUT') {
      const offset = Number(headers['Upload-Offset'])
      if (offset !== u.offset) return { status: 409, json: { code: 'upload_offset_mismatch', details: { offset: u.offset } } }
      const bytes = new Uint8Array(await (body as Blob).arrayBuffer())
      u.received.push(bytes); u.offset += bytes.length
      return { status: 200, json: { offset: u.offset } }
    }
    if (u.status !== 'complete') { u.status = 'complete'; attachments += 1 }
    return { status: 200, json: { id: u.id, status: 'complete', attachment_id: `a-${u.id}`, deduplicated: false } }
  }
  return { http, log, uploads, cut: (n: number) => { cutAfter = n }, heal: () => { cutAfter = Infinity }, attachments: () => attachments }
}

describe('photo queue', () => {
  const blob = (n: number) => new Blob([new Uint8Array(n).map((_, i) => i % 251)], { type: 'image/jpeg' })

  it('keeps a photo as a blob with its size and SHA-256 until uploaded', async () => {
    const store = memoryPhotoStore()
    const p = await queuePhoto(store, { orderId: 'o1', orderServerId: 'uuid-1', kind: 'before', blob: blob(10), now: 1 })
    expect(p.id).toMatch(/^[0-9a-zA-Z]{16}$/)
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect((await store.all())[0]).toMatchObject({ status: 'queued', size: 10, offset: 0 })
  })

  it('uploads in chunks and, after a cut, resumes from the offset the server reports', async () => {
    const store = memoryPhotoStore()
    const server = uploadServer()
    const photo = await queuePhoto(store, { orderId: 'o1', orderServerId: 'uuid-1', kind: 'after', blob: blob(1000), now: 1 })
    server.cut(3) // the create and two chunks get through, then the signal goes
    await expect(drainPhotos(store, server.http, new Set(['o1']), 300)).rejects.toThrow('network')
    expect((await store.all())[0]).toMatchObject({ status: 'queued', offset: 600 })
    server.heal()
    expect(await drainPhotos(store, server.http, new Set(['o1']), 300)).toEqual({ uploaded: 1, left: 0 })
    const puts = server.log.filter((l) => l.startsWith('PUT')).map((l) => l.split('@')[1])
    expect(puts).toEqual(['0', '300', '600', '900']) // nothing sent twice
    expect(server.attachments()).toBe(1)
    const stored = server.uploads.get('u1')!
    const bytes = new Uint8Array(stored.received.reduce((n, c) => n + c.length, 0))
    stored.received.reduce((at, c) => { bytes.set(c, at); return at + c.length }, 0)
    expect(Array.from(bytes)).toEqual(Array.from(new Uint8Array(await photo.blob.arrayBuffer())))
  })

  it('picks up from the server offset when a chunk was received but its answer lost', async () => {
    const store = memoryPhotoStore()
    const server = uploadServer()
    await queuePhoto(store, { orderId: 'o1', orderServerId: 'uuid-1', kind: 'after', blob: blob(500), now: 1 })
    const [photo] = await store.all()
    await uploadPhoto({ ...photo }, store, server.http, 1000).catch(() => undefined)
    expect(server.attachments()).toBe(1)
    // Sending the same photo again (its "done" was lost with the phone's state) opens the same upload: no second file.
    await uploadPhoto({ ...photo }, store, server.http, 1000)
    expect(server.attachments()).toBe(1)
  })

  it('does not upload photos of an order that left the phone', async () => {
    const store = memoryPhotoStore()
    const server = uploadServer()
    await queuePhoto(store, { orderId: 'gone', orderServerId: 'uuid-9', kind: 'before', blob: blob(5), now: 1 })
    expect(await drainPhotos(store, server.http, new Set(['o1']))).toEqual({ uploaded: 0, left: 0 })
    expect(server.log).toEqual([])
    expect((await store.all())[0]).toMatchObject({ status: 'failed', error: 'order_left_scope' })
  })
})

describe('estimates', () => {
  const queued: Estimate = { id: 'k3T9xQ2mVb7LwZ4a', orderId: 'o1', orderServerId: 'uuid-1', lines: [{ item: '防水层', amount: 1200 }],
    total: 1200, note: '更换防水层', createdAt: 1, status: 'queued' }

  it('sends the queued record id as the client id, the same body on every try', () => {
    expect(estimateBody(queued)).toEqual({ amount_yuan: '1200.00', note: '更换防水层', client_id: 'k3T9xQ2mVb7LwZ4a' })
    expect(estimateBody({ ...queued })).toEqual(estimateBody(queued))
    expect(queued.id).toMatch(/^[A-Za-z0-9_-]{8,64}$/) // what the server accepts
  })

  it('takes a replayed answer (200) as done, like the first one (201)', () => {
    expect(estimateAnswered(queued, { status: 201, json: { status: 'in_progress' } })).toMatchObject({ status: 'done', approval: 'in_progress' })
    expect(estimateAnswered(queued, { status: 200, json: { status: 'approved' } })).toMatchObject({ status: 'done', approval: 'approved' })
  })

  it('marks a refusal failed with its code, and a revoked token throws', () => {
    expect(estimateAnswered(queued, { status: 409, json: { code: 'estimate_client_id_reused', message: 'x' } }))
      .toMatchObject({ status: 'failed', error: 'estimate_client_id_reused: x' })
    expect(() => estimateAnswered(queued, { status: 401, json: null })).toThrow('revoked')
  })
})

describe('arrival by the QR label', () => {
  // The same vectors as tests/technician_app/test_arrival_codes.py: the phone and the server derive one code.
  const TOKEN = 'Xq3vB9kLm2NpR7sT4uWy8zAb'
  const CODE = '498PS3PA'

  it('derives the check code of a token as the server does', async () => {
    expect(await checkCodeOf(TOKEN)).toBe(CODE)
    expect(await checkCodeOf('abcdefghijkl-_0123456789')).toBe('A6YMGEAB')
  })

  it('finds the token in the label URL, or as is', () => {
    expect(tokenIn(`https://anxin.example.cn/q/${TOKEN}`)).toBe(TOKEN)
    expect(tokenIn(`http://127.0.0.1:8000/q/${TOKEN}?from=label`)).toBe(TOKEN)
    expect(tokenIn(` ${TOKEN} `)).toBe(TOKEN)
    expect(tokenIn('https://example.cn/q/short')).toBeNull()
    expect(tokenIn('WIFI:S:lobby;T:WPA;P:secret;;')).toBeNull()
  })

  it('reads a typed code as Crockford does: case, dashes and spaces ignored, O is 0, I and L are 1', () => {
    expect(normalizeCode('498p-s3pa')).toBe(CODE)
    expect(normalizeCode(' 498P S3PA ')).toBe(CODE)
    expect(normalizeCode('4O8I-LAAA')).toBe('40811AAA')
    expect(normalizeCode('498PS3P')).toBeNull() // too short
    expect(normalizeCode('498PS3PU')).toBeNull() // U is not in the alphabet
    expect(showCode(CODE)).toBe('498P-S3PA')
  })

  it('confirms a scan of the unit label and a typed code of it', async () => {
    expect(await checkArrival(`https://anxin.example.cn/q/${TOKEN}`, CODE, 'scan')).toEqual({ ok: true, method: 'scan', code: CODE })
    expect(await checkArrival('498p-s3pa', CODE, 'code')).toEqual({ ok: true, method: 'code', code: CODE })
    expect(await checkArrival(TOKEN, CODE, 'code')).toEqual({ ok: true, method: 'code', code: CODE }) // pasted token
  })

  it('says which way a check failed, and never confirms another unit', async () => {
    expect(await checkArrival('https://anxin.example.cn/q/abcdefghijkl-_0123456789', CODE, 'scan'))
      .toEqual({ ok: false, reason: 'wrong_unit', code: 'A6YMGEAB' })
    expect(await checkArrival('A6YM-GEAB', CODE, 'code')).toMatchObject({ ok: false, reason: 'wrong_unit' })
    expect(await checkArrival('https://shop.example.cn/item/42', CODE, 'scan')).toEqual({ ok: false, reason: 'not_a_label' })
    expect(await checkArrival('12345', CODE, 'code')).toEqual({ ok: false, reason: 'bad_code' })
    expect(await checkArrival('498P-S3PA', null, 'code')).toEqual({ ok: false, reason: 'no_code' })
  })

  it('notes how the arrival was confirmed, with the code', () => {
    const same = (s: string) => s
    expect(arrivalNote({ method: 'scan', code: CODE }, same)).toBe('到达现场 · 扫码确认 [QR 498P-S3PA]')
    expect(arrivalNote({ method: 'code', code: CODE }, same)).toBe('到达现场 · 确认码确认 [QR 498P-S3PA]')
  })
})

describe('knowledge-base articles', () => {
  const categories = new Map<string, Record<string, any>>([
    ['plumbing-electrical', { id: 'plumbing-electrical', parent_id: null }],
    ['drainage', { id: 'drainage', parent_id: 'plumbing-electrical' }],
    ['gas', { id: 'gas', parent_id: null }],
  ])
  const articles = [
    { id: 'p', category_id: 'plumbing-electrical', title: '水电报修前的检查', position: 1 },
    { id: 'd2', category_id: 'drainage', title: '下水道堵塞自查', position: 20 },
    { id: 'd1', category_id: 'drainage', title: '地漏反味怎么办', position: 10 },
    { id: 'g', category_id: 'gas', title: '燃气报警', position: 1 },
  ]

  it("shows the order's category first, then the categories above it, never another one", () => {
    expect(articlesFor(articles, 'drainage', categories).map((a) => a.id)).toEqual(['d1', 'd2', 'p'])
    expect(articlesFor(articles, 'gas', categories).map((a) => a.id)).toEqual(['g'])
    expect(articlesFor(articles, 'unknown-code', categories)).toEqual([])
  })

  it('reads the steps column, and a malformed one as no steps', () => {
    expect(parseSteps('[{"text":"检查存水弯","text_en":null,"image_url":null}]')).toEqual([{ text: '检查存水弯', text_en: null, image_url: null }])
    expect(parseSteps('not json')).toEqual([])
    expect(parseSteps('{"text":"x"}')).toEqual([])
    expect(parseSteps(null)).toEqual([])
  })
})
