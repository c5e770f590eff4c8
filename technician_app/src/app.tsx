import { render } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { Database } from '@nozbe/watermelondb'
import { api, loadSession, saveSession, type ApiError } from './api'
import { create, forceSave, rows, type Raw } from './db'
import { byUrgency, countdown, currentDeadline, formatMinutes } from './countdown'
import { getLang, setLang, t } from './i18n'
import { Scheduler, pendingCount, type SyncOutcome } from './outbox'
import { queuePhoto, resizeImage, type Photo, type PhotoKind, type PhotoStore } from './photos'
import { byDeviceTime, makeStep, nextSteps, projectedState, stepTime, type EventRow } from './steps'
import { arrivalNote, checkArrival, type ArrivalMethod } from './arrival'
import { articlesFor, parseSteps } from './articles'
import { startScan, type Scanning } from './scanner'
import { ViewGenerations } from './view'
import { estimates, loadNotes, queueEstimate, saveNotes, syncAll, type Estimate, type Note } from './sync'
import type { IDBPDatabase } from 'idb'

export interface Ctx { database: Database; photos: PhotoStore; ops: IDBPDatabase; tables: string[] }

interface View {
  orders: Raw[]; events: Raw[]; eventsByOrder: Map<string, Raw[]>; comments: Raw[]; parts: Raw[]; attachments: Raw[]; units: Map<string, Raw>
  projects: Map<string, Raw>; categories: Map<string, Raw>; pending: number; photos: Photo[]; estimates: Estimate[]
  notes: Note[]; articles: Raw[]
}

function groupBy(rows: Raw[]): Map<string, Raw[]> {
  const m = new Map<string, Raw[]>()
  for (const r of rows) { const list = m.get(r.work_order_id); if (list) list.push(r); else m.set(r.work_order_id, [r]) }
  return m
}

async function loadView(ctx: Ctx): Promise<View> {
  const all: Record<string, Raw[]> = {}
  for (const name of ctx.tables) all[name] = await rows(ctx.database, name)
  return {
    orders: all.work_orders, events: all.work_order_events, eventsByOrder: groupBy(all.work_order_events), comments: all.comments, parts: all.part_usages,
    attachments: all.attachments, units: new Map(all.units.map((u) => [u.id, u])),
    projects: new Map(all.projects.map((p) => [p.id, p])), categories: new Map(all.categories.map((c) => [c.id, c])),
    pending: pendingCount(all), photos: await ctx.photos.all(), estimates: await estimates(ctx.ops), notes: loadNotes(),
    articles: all.articles ?? [],
  }
}

function loadedView(view: View): View {
  performance.mark('anxin:view')
  return view
}

const SYNC_AT = 'anxin-tech-last-sync'
const STEP_LABEL: Record<string, string> = { en_route: '出发', on_site: '到达现场', in_progress: '开始维修', waiting: '等待', completed: '完工' }
const REASONS = ['parts', 'owner', 'approval'] as const
const REASON_LABEL: Record<string, string> = { parts: '等待配件', owner: '等待业主', approval: '等待审批' }
const PART_SUGGESTIONS = ['角阀', '水龙头阀芯', 'PPR 管 20mm', '密封圈', '防水涂料 (kg)', '开关面板', '五孔插座', '空气开关 16A',
  '门铰链', '门锁锁芯', '窗户密封条', '玻璃胶', '地漏', '瓷砖 (块)', '石膏板']

const formats = new Map<string, Intl.DateTimeFormat>()
function time(ms: number | null | undefined): string {
  if (!ms) return '—'
  const locale = getLang() === 'en' ? 'en-GB' : 'zh-CN'
  let format = formats.get(locale) // toLocaleString builds a formatter per call
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    formats.set(locale, format)
  }
  return format.format(ms)
}

// A refusal comes back as "<code>: <the server's text>"; known codes are said in the reader's language.
const REFUSALS: Record<string, string> = {
  invalid_transition: '工单状态已在服务器上改变（例如调度已取消或改派），此步骤未被接受',
  refused: '该工单已不再分配给您',
  forbidden: '您没有权限执行此步骤',
}
export function reasonText(reason: string | null): string {
  if (!reason) return ''
  const code = reason.split(':')[0].trim()
  return REFUSALS[code] ? `${t(REFUSALS[code])} (${code})` : reason
}

function eventsOf(view: View, orderId: string): EventRow[] {
  return (view.eventsByOrder.get(orderId) ?? []) as EventRow[]
}

function Countdown({ order, state, now }: { order: Raw; state: string; now: number }) {
  const d = currentDeadline(order, state)
  if (!d) return <span class="sla none">—</span>
  const c = countdown(d.at, now)
  const target = t(d.target === 'response' ? '响应' : d.target === 'arrival' ? '到场' : '完成')
  const text = formatMinutes(c.minutes, getLang())
  return <span class={`sla ${c.level}`} data-due={d.at}>{target} {c.overdue ? `${t('已超时')} ${text}` : `${t('剩余')} ${text}`}</span>
}

function SignIn({ onDone, message }: { onDone: () => void; message: string | null }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(message)
  async function submit(ev: Event) {
    ev.preventDefault()
    const form = new FormData(ev.target as HTMLFormElement)
    setBusy(true); setError(null)
    try {
      const username = String(form.get('username'))
      const deviceName = String(form.get('device_name'))
      const issued = await api('POST', '/api/v1/auth/tokens', { username, password: form.get('password'), device_name: deviceName })
      saveSession({ token: issued.token, tokenId: issued.id, username, deviceName })
      onDone()
    } catch (e) {
      const err = e as ApiError
      setError(err.network ? t('无法连接服务器') : err.message || t('用户名或密码错误'))
    } finally { setBusy(false) }
  }
  return (
    <main class="signin">
      <h1>{t('安心维修')}</h1>
      <h2>{t('工程师登录')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <form onSubmit={submit}>
        <label>{t('用户名')}<input name="username" autocomplete="username" required /></label>
        <label>{t('密码')}<input name="password" type="password" autocomplete="current-password" required /></label>
        <label>{t('设备名称')}<input name="device_name" required value={navigator.userAgent.includes('Android') ? 'Android 手机' : '我的手机'} /></label>
        <button class="primary big" disabled={busy}>{busy ? t('正在登录…') : t('登录')}</button>
      </form>
      <LangSwitch />
    </main>
  )
}

function LangSwitch() {
  return <button class="link lang" onClick={() => { setLang(getLang() === 'zh' ? 'en' : 'zh'); location.reload() }}>
    {getLang() === 'zh' ? 'English' : '中文'}</button>
}

interface SyncState { running: boolean; lastAt: number | null; error: string | null; online: boolean }

function Header({ view, sync, onSync }: { view: View; sync: SyncState; onSync: () => void }) {
  return (
    <header class="bar">
      <div>
        <strong>{t('我的工单')}</strong>
        <span class={`net ${sync.online ? 'on' : 'off'}`}>{sync.online ? t('在线') : t('离线')}</span>
      </div>
      <div class="syncline">
        {view.pending > 0 && <span class="badge" data-testid="pending">{view.pending} {t('未同步')}</span>}
        <span class="last" data-testid="last-sync">{t('上次同步')}: {sync.lastAt ? time(sync.lastAt) : t('从未同步')}</span>
        <button class="small" onClick={onSync} disabled={sync.running}>{sync.running ? t('同步中…') : t('立即同步')}</button>
      </div>
      {sync.error && <p class="error small-text">{t('同步失败')}: {sync.error}</p>}
    </header>
  )
}

function Notices({ view, onDismiss }: { view: View; onDismiss: (id: string) => void }) {
  if (!view.notes.length) return null
  return (
    <section class="notices">
      {view.notes.map((n) => {
        const refused = eventsOf(view, n.orderId).filter((e) => e.status === 'refused')
        return (
          <div class="notice" data-testid="left-scope" key={n.id}>
            <p><strong>{n.number}</strong> {n.place} {t('已不在您的范围')}</p>
            {refused.length > 0 && <div class="refused"><p>{t('被拒绝的步骤')}:</p><ul>
              {refused.sort(byDeviceTime).map((e) => <li key={e.id} data-testid="refused-step">
                {t(e.from_state ?? '')} → {t(e.to_state)} · {time(e.device_at)} · {t('原因')}: {reasonText(e.reason)}</li>)}
            </ul></div>}
            <button class="small" onClick={() => onDismiss(n.id)}>{t('知道了')}</button>
          </div>
        )
      })}
    </section>
  )
}

// The first screens of the list at once, the rest on demand: a phone draws 100 cards quickly, not 2 000.
export const PAGE = 100

function OrderList({ view, now }: { view: View; now: number }) {
  const [shown, setShown] = useState(PAGE)
  const items = view.orders.map((o) => {
    const state = projectedState(o.state, eventsOf(view, o.id))
    const d = currentDeadline(o, state)
    return { o, state, number: o.number as string, priority: o.priority as string, due: d ? d.at : null }
  }).sort(byUrgency)
  if (!items.length) return <p class="empty">{t('没有分配给您的工单')}</p>
  return (
    <>
      <ul class="orders" data-total={items.length}>
        {items.slice(0, shown).map(({ o, state }) => {
          const cat = view.categories.get(o.category_id)
          const unsynced = eventsOf(view, o.id).some((e) => e.status === 'pending')
          return (
            <li key={o.id}>
              <a href={`#/order/${o.id}`} class="order" data-testid="order" data-number={o.number}>
                <div class="row1"><span class={`prio ${o.priority}`}>{o.priority}</span><strong>{o.number}</strong>
                  <span class={`state s-${state}`}>{t(state)}</span>{unsynced && <span class="dot" title={t('未同步')} />}</div>
                <div class="place">{o.place}</div>
                <div class="row3"><span>{cat ? (getLang() === 'en' && cat.name_en ? cat.name_en : cat.name) : o.category_id}</span>
                  <Countdown order={o} state={state} now={now} /></div>
                {state === 'waiting' && o.waiting_reason && <div class="waiting">{t(REASON_LABEL[o.waiting_reason] ?? o.waiting_reason)}</div>}
              </a>
            </li>
          )
        })}
      </ul>
      {items.length > shown && <button class="big" data-testid="more" onClick={() => setShown(shown + PAGE)}>
        {t('显示更多')} ({items.length - shown})</button>}
    </>
  )
}

function Signature({ onSave }: { onSave: (b: Blob) => Promise<void> }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const drawn = useRef(false)
  useEffect(() => {
    const c = canvas.current!
    const ctx = c.getContext('2d')!
    c.width = c.clientWidth * 2; c.height = c.clientHeight * 2
    ctx.scale(2, 2); ctx.lineWidth = 2.5; ctx.lineCap = 'round'; ctx.strokeStyle = '#0f172a'
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, c.width, c.height)
    let down = false
    const pos = (e: PointerEvent) => { const r = c.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top] }
    const start = (e: PointerEvent) => { down = true; const [x, y] = pos(e); ctx.beginPath(); ctx.moveTo(x, y); try { c.setPointerCapture(e.pointerId) } catch { /* a synthetic pointer */ } }
    const move = (e: PointerEvent) => { if (!down) return; const [x, y] = pos(e); ctx.lineTo(x, y); ctx.stroke(); drawn.current = true }
    const end = () => { down = false }
    c.addEventListener('pointerdown', start); c.addEventListener('pointermove', move); c.addEventListener('pointerup', end)
    return () => { c.removeEventListener('pointerdown', start); c.removeEventListener('pointermove', move); c.removeEventListener('pointerup', end) }
  }, [])
  function clear() {
    const c = canvas.current!; const ctx = c.getContext('2d')!
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, c.width, c.height); drawn.current = false
  }
  return (
    <div class="signature">
      <canvas ref={canvas} data-testid="signature-pad" />
      <div class="buttons">
        <button class="small" onClick={clear}>{t('清除')}</button>
        <button class="primary" data-testid="save-signature" onClick={() => {
          if (!drawn.current) return
          canvas.current!.toBlob((b) => { if (b) void onSave(b).then(clear) }, 'image/png')
        }}>{t('保存签字')}</button>
      </div>
    </div>
  )
}

const ARRIVAL_ERRORS: Record<string, string> = {
  wrong_unit: '这不是本工单房屋的二维码，请核对房号（未记录到场）',
  not_a_label: '这不是房屋报修二维码，请扫描门口的安心标签',
  bad_code: '确认码为标签上二维码下方的 8 位字符',
  no_camera: '无法使用相机，请输入标签上的确认码',
}

/** 到达现场, confirmed by the unit's QR label: the camera, or the check code printed under the code. */
function ArrivalConfirm({ expected, onConfirmed }: { expected: string; onConfirmed: (note: string) => Promise<void> }) {
  const [scanning, setScanning] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const video = useRef<HTMLVideoElement>(null)
  const camera = useRef<Scanning | null>(null)
  useEffect(() => () => camera.current?.stop(), [])
  async function judge(input: string, method: ArrivalMethod) {
    const check = await checkArrival(input, expected, method)
    if (!check.ok) { setError(t(ARRIVAL_ERRORS[check.reason] ?? ARRIVAL_ERRORS.bad_code)); return }
    setError(null)
    await onConfirmed(arrivalNote(check, t))
  }
  async function scan() {
    setError(null); setScanning(true)
    try {
      camera.current = await startScan(video.current!, (text) => { setScanning(false); void judge(text, 'scan') })
    } catch {
      setScanning(false); setError(t(ARRIVAL_ERRORS.no_camera))
    }
  }
  function typed(ev: Event) {
    ev.preventDefault()
    const input = (ev.target as HTMLFormElement).elements.namedItem('code') as HTMLInputElement
    if (input.value.trim()) void judge(input.value, 'code')
  }
  return (
    <div class="arrival" data-testid="arrival-confirm">
      <button class="big" data-testid="scan-arrival" onClick={() => { if (scanning) { camera.current?.stop(); setScanning(false) } else void scan() }}>
        {t(scanning ? '取消扫码' : '扫码确认到场')}</button>
      <video ref={video} class={scanning ? 'scan on' : 'scan'} data-testid="scan-video" muted playsInline />
      <form class="code" onSubmit={typed}>
        <input name="code" data-testid="arrival-code" autocomplete="off" autocapitalize="characters" maxLength={64}
          placeholder={t('或输入标签上的确认码')} aria-label={t('确认码')} />
        <button class="primary" data-testid="confirm-code">{t('确认')}</button>
      </form>
      {error && <p class="error" role="alert" data-testid="arrival-error">{error}</p>}
    </div>
  )
}

/** The knowledge-base articles (synced read-only, so they open in a basement) of the order's category and above. */
function Articles({ articles }: { articles: Raw[] }) {
  if (!articles.length) return null
  const en = getLang() === 'en'
  return (
    <section class="card kb" data-testid="articles">
      <h3>{t('知识库')}</h3>
      {articles.map((a) => {
        const steps = parseSteps(a.steps)
        return <details data-testid="article" key={a.id}>
          <summary>{en && a.title_en ? a.title_en : a.title}</summary>
          <p class="muted">{en && a.summary_en ? a.summary_en : a.summary}</p>
          <ol>{steps.map((st) => <li>{en && st.text_en ? st.text_en : st.text}
            {st.image_url && <img class="thumb" src={st.image_url} alt="" loading="lazy" />}</li>)}</ol>
        </details>
      })}
    </section>
  )
}

function OrderDetail({ ctx, view, id, now, refresh, flash }: { ctx: Ctx; view: View; id: string; now: number; refresh: () => void; flash: (s: string) => void }) {
  const order = view.orders.find((o) => o.id === id)
  const [reason, setReason] = useState<string>('parts')
  const [lines, setLines] = useState<{ item: string; amount: string }[]>([{ item: '', amount: '' }])
  if (!order) {
    return <main class="detail"><a href="#/" class="back">‹ {t('返回')}</a><p class="empty">{t('已不在您的范围')}</p></main>
  }
  const events = eventsOf(view, id)
  const state = projectedState(order.state, events)
  const unit = order.unit_id ? view.units.get(order.unit_id) : undefined
  const project = view.projects.get(order.project_id)
  const cat = view.categories.get(order.category_id)
  const photos = view.photos.filter((p) => p.orderId === id)
  const orderEstimates = view.estimates.filter((e) => e.orderId === id)

  async function step(to: string, note?: string) {
    const summary = (document.getElementById('summary') as HTMLTextAreaElement | null)?.value.trim() ?? ''
    if (to === 'completed' && !summary) { flash(t('请先填写完工说明')); return }
    const made = makeStep({ orderId: id, shownState: state, to, at: stepTime(Date.now(), events),
      note: note ?? (to === 'completed' ? summary : to === 'waiting' ? t(REASON_LABEL[reason]) : t(STEP_LABEL[to] ?? to)) })
    if (!made.ok) return
    await create(ctx.database, 'work_order_events', to === 'waiting' ? { ...made.row, waiting_reason: reason } : made.row)
    await forceSave(ctx.database) // a step must survive a tab killed right after the tap
    if (to === 'en_route' && 'geolocation' in navigator) recordPosition(ctx)
    flash(t('步骤已记录')); refresh()
  }
  async function addComment(ev: Event) {
    ev.preventDefault()
    const area = (ev.target as HTMLFormElement).elements.namedItem('body') as HTMLTextAreaElement
    const body = area.value.trim(); if (!body) return
    await create(ctx.database, 'comments', { work_order_id: id, body, owner_visible: false, author_name: '', created_at: Date.now() })
    await forceSave(ctx.database)
    area.value = ''; refresh()
  }
  async function addPart(ev: Event) {
    ev.preventDefault()
    const f = new FormData(ev.target as HTMLFormElement)
    const name = String(f.get('name')).trim(); const quantity = Number(f.get('quantity')); const price = Number(f.get('price') || 0)
    if (!name || !(quantity > 0) || !(price >= 0)) return
    await create(ctx.database, 'part_usages', { work_order_id: id, name, quantity, unit_price_yuan: price, created_at: Date.now() })
    await forceSave(ctx.database)
    ;(ev.target as HTMLFormElement).reset(); refresh()
  }
  async function addPhoto(kind: PhotoKind, file: File | Blob) {
    const blob = file.type === 'image/png' && kind === 'signature' ? file : await resizeImage(file)
    await queuePhoto(ctx.photos, { orderId: id, orderServerId: order!.server_id, kind, blob, now: Date.now() })
    refresh()
  }
  async function submitEstimate() {
    const clean = lines.filter((l) => l.item.trim() && Number(l.amount) >= 0 && l.amount !== '')
      .map((l) => ({ item: l.item.trim(), amount: Math.round(Number(l.amount) * 100) / 100 }))
    if (!clean.length) return
    const total = Math.round(clean.reduce((s, l) => s + l.amount, 0) * 100) / 100
    await queueEstimate(ctx.ops, { orderId: id, orderServerId: order!.server_id, lines: clean, total,
      note: clean.map((l) => `${l.item} ¥${l.amount.toFixed(2)}`).join('；').slice(0, 500), createdAt: Date.now() })
    setLines([{ item: '', amount: '' }]); refresh()
  }
  const geo = project && project.latitude ? `geo:${project.latitude},${project.longitude}?q=${project.latitude},${project.longitude}(${encodeURIComponent(project.name)})` : null
  const dial = order.contact_phone || project?.service_phone
  const estimateTotal = lines.reduce((s, l) => s + (Number(l.amount) || 0), 0)
  return (
    <main class="detail">
      <a href="#/" class="back">‹ {t('返回')}</a>
      <section class="card head">
        <div class="row1"><span class={`prio ${order.priority}`}>{order.priority}</span><strong data-testid="order-number">{order.number}</strong>
          <span class={`state s-${state}`} data-testid="order-state">{t(state)}</span></div>
        <div class="place">{order.place}</div>
        <div class="row3"><span>{cat ? (getLang() === 'en' && cat.name_en ? cat.name_en : cat.name) : order.category_id}</span>
          <Countdown order={order} state={state} now={now} /></div>
        {state === 'waiting' && <div class="waiting">{t(REASON_LABEL[order.waiting_reason ?? reason] ?? '')}</div>}
      </section>
      <section class="card steps">
        {nextSteps(state).filter((s) => s !== 'waiting').map((s) => (
          <button class="primary big" data-step={s} onClick={() => step(s)}>{t(state === 'waiting' ? '恢复维修' : STEP_LABEL[s])}</button>
        ))}
        {nextSteps(state).includes('waiting') && (
          <div class="wait">
            <select value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)} aria-label={t('等待')}>
              {REASONS.map((r) => <option value={r}>{t(REASON_LABEL[r])}</option>)}
            </select>
            <button class="big" data-step="waiting" onClick={() => step('waiting')}>{t('等待')}</button>
          </div>
        )}
        {nextSteps(state).includes('completed') && <textarea id="summary" data-testid="summary" placeholder={t('完工说明')} maxLength={500} />}
        {nextSteps(state).includes('on_site') && unit?.qr_check &&
          <ArrivalConfirm expected={unit.qr_check} onConfirmed={(note) => step('on_site', note)} />}
      </section>
      <section class="card">
        <h3>{t('地址')}</h3>
        <p>{project?.city} {project?.address}</p>
        {unit && <p>{unit.building_name} {unit.number} · {t('楼层')} {unit.floor} · {unit.layout}</p>}
        {order.location_detail && <p>{order.location_detail}</p>}
        {geo && <a class="button" href={geo}>{t('导航')}</a>}
      </section>
      <section class="card">
        <h3>{t('业主')}</h3>
        <p>{unit?.owner_name ?? order.contact_name} <span class="muted">{unit?.owner_phone}</span></p>
        {dial && <a class="button" href={`tel:${dial}`}>{t('拨打')}</a>}
      </section>
      <Articles articles={articlesFor(view.articles, order.category_id, view.categories)} />
      <section class="card"><h3>{t('问题描述')}</h3><p class="desc">{order.description}</p>
        {view.attachments.filter((a) => a.work_order_id === id).map((a) => <img class="thumb" src={a.thumbnail_url || a.url} alt="" loading="lazy" />)}
      </section>
      {['on_site', 'in_progress', 'waiting'].includes(state) && <>
        <section class="card">
          <h3>{t('诊断记录')}</h3>
          <form onSubmit={addComment}><textarea name="body" data-testid="diagnosis" maxLength={2000} />
            <button class="primary">{t('保存诊断')}</button></form>
        </section>
        <section class="card">
          <h3>{t('使用配件')}</h3>
          <form class="part" onSubmit={addPart}>
            <input name="name" list="parts" placeholder={t('配件名称')} data-testid="part-name" required maxLength={100} />
            <datalist id="parts">{PART_SUGGESTIONS.map((p) => <option value={p} />)}</datalist>
            <input name="quantity" type="number" inputMode="decimal" step="0.01" min="0.01" placeholder={t('数量')} data-testid="part-qty" required />
            <input name="price" type="number" inputMode="decimal" step="0.01" min="0" placeholder={t('单价(元)')} data-testid="part-price" />
            <button class="primary">{t('添加配件')}</button>
          </form>
        </section>
        <section class="card">
          <h3>{t('费用预估')}</h3>
          {lines.map((l, i) => <div class="line">
            <input placeholder={t('项目')} value={l.item} data-testid="estimate-item" onInput={(e) => { const c = [...lines]; c[i] = { ...l, item: (e.target as HTMLInputElement).value }; setLines(c) }} />
            <input type="number" inputMode="decimal" min="0" step="0.01" placeholder={t('金额(元)')} value={l.amount} data-testid="estimate-amount"
              onInput={(e) => { const c = [...lines]; c[i] = { ...l, amount: (e.target as HTMLInputElement).value }; setLines(c) }} />
          </div>)}
          <p>{t('合计')}: ¥{estimateTotal.toFixed(2)}</p>
          <button class="small" onClick={() => setLines([...lines, { item: '', amount: '' }])}>{t('添加一行')}</button>
          <button class="primary" data-testid="submit-estimate" onClick={submitEstimate}>{t('提交预估')}</button>
        </section>
        <section class="card">
          <h3>{t('照片')}</h3>
          {(['before', 'after'] as const).map((kind) => <label class="button photo">{t(kind === 'before' ? '维修前' : '维修后')} · {t('拍照')}
            <input type="file" accept="image/*" capture="environment" data-testid={`photo-${kind}`} hidden
              onChange={(e) => { const f = (e.target as HTMLInputElement).files?.[0]; if (f) void addPhoto(kind, f) }} /></label>)}
        </section>
        <section class="card">
          <h3>{t('业主签字')}</h3>
          <Signature onSave={async (b) => { await addPhoto('signature', b); flash(t('签字已保存')) }} />
        </section>
      </>}
      <section class="card">
        <h3>{t('记录')}</h3>
        <ul class="records">
          {view.parts.filter((p) => p.work_order_id === id).map((p) => <li data-testid="part-row">{t('配件')}: {p.name} × {p.quantity} · ¥{p.unit_price_yuan} <Sync s={p._status} /></li>)}
          {view.comments.filter((c) => c.work_order_id === id).map((c) => <li>{t('备注')}: {c.body} <Sync s={c._status} /></li>)}
          {orderEstimates.map((e) => <li data-testid="estimate-row">{t('费用预估')} ¥{e.total.toFixed(2)} · {e.status === 'queued' ? t('待同步')
            : e.status === 'done' ? t(e.approval === 'in_progress' ? '待审批' : e.approval ? '无需审批' : '提交中') : `${t('上传失败')}: ${e.error}`}</li>)}
          {photos.map((p) => <li data-testid="photo-row" data-status={p.status}>{t(p.kind === 'before' ? '维修前' : p.kind === 'after' ? '维修后' : '业主签字')} ·
            {p.status === 'queued' ? ` ${t('待上传')} ${Math.round((p.offset / p.size) * 100)}%` : p.status === 'done' ? ` ${t('已上传')}` : ` ${t('上传失败')}: ${p.error}`}</li>)}
        </ul>
      </section>
      <section class="card">
        <h3>{t('进度')}</h3>
        <ol class="timeline">
          {[...events].sort(byDeviceTime).map((e) => <li class={`ev ${e.status}`} data-testid="event" data-status={e.status}>
            <span>{t(e.from_state ?? '')} → {t(e.to_state)}</span> <span class="muted">{time(e.device_at)}</span>
            <span class={`tag ${e.status}`}>{t(e.status === 'pending' ? '待同步' : e.status === 'refused' ? '被拒绝' : '已生效')}</span>
            {e.status === 'refused' && <div class="reason">{t('原因')}: {reasonText(e.reason)}</div>}
          </li>)}
        </ol>
      </section>
    </main>
  )
}

function Sync({ s }: { s: string }) {
  return s && s !== 'synced' ? <span class="tag pending">{t('待同步')}</span> : null
}

function recordPosition(ctx: Ctx) {
  navigator.geolocation.getCurrentPosition(async (pos) => {
    const [profile] = await rows(ctx.database, 'technician_profiles')
    if (!profile) return
    await ctx.database.write(async () => {
      const record: any = await ctx.database.get('technician_profiles').find(profile.id)
      await record.update((r: any) => { Object.assign(r._raw, { last_latitude: pos.coords.latitude, last_longitude: pos.coords.longitude, last_position_at: Date.now() }) })
    })
  }, () => undefined, { timeout: 5000, maximumAge: 60000 })
}

function InstallPrompt() {
  const [ev, setEv] = useState<any>(null)
  useEffect(() => {
    const on = (e: Event) => { e.preventDefault(); setEv(e) }
    window.addEventListener('beforeinstallprompt', on)
    return () => window.removeEventListener('beforeinstallprompt', on)
  }, [])
  if (!ev) return null
  return <div class="install"><span>{t('安装到桌面，离线更可靠')}</span><button class="small" onClick={() => { ev.prompt(); setEv(null) }}>{t('安装')}</button></div>
}

/** Resolves after the next frame is painted (at once in a background tab, which paints none). */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (document.visibilityState === 'hidden') resolve()
    else requestAnimationFrame(() => setTimeout(resolve, 0))
  })
}

const browserClock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => window.setTimeout(fn, ms),
  clearTimeout: (h: unknown) => window.clearTimeout(h as number),
}

function App({ ctx }: { ctx: Ctx }) {
  const [session, setSession] = useState(loadSession())
  const [signedOut, setSignedOut] = useState<string | null>(null)
  const [view, setView] = useState<View | null>(null)
  const [route, setRoute] = useState(location.hash)
  const [now, setNow] = useState(Date.now())
  const [toast, setToast] = useState<string | null>(null)
  const [sync, setSync] = useState<SyncState>({ running: false, lastAt: Number(localStorage.getItem(SYNC_AT)) || null, error: null, online: navigator.onLine })
  const scheduler = useRef<Scheduler | null>(null)
  const loading = useRef<{ busy: boolean; again: boolean }>({ busy: false, again: false })
  const generations = useRef(new ViewGenerations())
  const refresh = () => {
    const l = loading.current
    if (l.busy) { l.again = true; return }
    l.busy = true
    const loadedAt = generations.current.seen
    void loadView(ctx).then(loadedView).then(setView).then(afterPaint).catch((e) => console.error(e)).finally(() => {
      l.busy = false
      generations.current.painted(loadedAt)
      if (l.again) { l.again = false; refresh() }
    })
  }
  const flash = (s: string) => { setToast(s); setTimeout(() => setToast(null), 2000) }

  useEffect(() => {
    refresh()
    const sub = ctx.database.withChangesForTables(ctx.tables).subscribe(() => { generations.current.changed(); refresh() })
    const tick = setInterval(() => setNow(Date.now()), 30_000)
    const onHash = () => setRoute(location.hash)
    window.addEventListener('hashchange', onHash)
    return () => { sub.unsubscribe(); clearInterval(tick); window.removeEventListener('hashchange', onHash) }
  }, [])

  // A layout effect: the first sync starts as soon as the token is stored, not a frame later.
  useLayoutEffect(() => {
    if (!session) return
    // The forced save after a sync waits for the list to show the pulled orders (see syncAll).
    const s = new Scheduler(() => syncAll(ctx.database, ctx.photos, ctx.ops, () => generations.current.current()), browserClock, () => navigator.onLine, (o: SyncOutcome) => {
      if (o.ok) localStorage.setItem(SYNC_AT, String(o.at))
      else if (o.error.status === 401) { saveSession(null); setSession(null); setSignedOut(t('此设备已被注销，请重新登录')) }
      setSync((prev) => ({ ...prev, running: false, lastAt: o.ok ? o.at : prev.lastAt, online: navigator.onLine,
        error: o.ok || o.error.network ? null : o.error.message }))
      refresh()
    })
    scheduler.current = s
    const run = () => { setSync((p) => ({ ...p, running: true, online: navigator.onLine })); void s.trigger() }
    const offline = () => setSync((p) => ({ ...p, online: false }))
    window.addEventListener('online', run)
    window.addEventListener('offline', offline)
    ;(window as any).anxinSync = async () => { run(); return s.running } // the browser tests wait on it
    ;(window as any).anxinQuiesce = () => s.stop() // ... and stop it before their database is flushed
    run()
    return () => { void s.stop(); window.removeEventListener('online', run); window.removeEventListener('offline', offline) }
  }, [session])

  if (!session) return <SignIn message={signedOut} onDone={() => { setSignedOut(null); setSession(loadSession()) }} />
  if (!view) return <p class="boot">…</p>
  const match = route.match(/^#\/order\/(\w+)/)
  return (
    <div class="app">
      <Header view={view} sync={sync} onSync={() => { setSync((p) => ({ ...p, running: true })); void scheduler.current?.trigger() }} />
      <InstallPrompt />
      {match ? <OrderDetail ctx={ctx} view={view} id={match[1]} now={now} refresh={refresh} flash={flash} /> : <>
        <Notices view={view} onDismiss={(id) => { saveNotes(loadNotes().filter((n) => n.id !== id)); refresh() }} />
        <OrderList view={view} now={now} />
        <footer><LangSwitch /><button class="link" onClick={() => { saveSession(null); setSession(null) }}>{t('退出登录')}</button></footer>
      </>}
      {toast && <div class="toast" role="status">{toast}</div>}
    </div>
  )
}

export function mount(ctx: Ctx, el: HTMLElement) {
  el.textContent = ''
  render(<App ctx={ctx} />, el)
}

export function blocked(el: HTMLElement, title: string, text: string) {
  el.textContent = ''
  render(<main class="signin"><h1>{title}</h1><p>{text}</p></main>, el)
}
