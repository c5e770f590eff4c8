// A real WatermelonDB client (0.28, LokiJS adapter, in memory) that syncs with the Anxin server.
// Usage: node tests/e2e/watermelondb_client.mjs <base url> <device token>[,<token>...] [scenario]
// Scenarios: basic (default), lost_pull, lost_twice, two_devices (wait for a line 'go' on stdin after the first
// sync, while the test changes things in the office), lost_push.
// Prints one JSON line per step; exits non-zero on any failure.
import { Database, Model, appSchema, tableSchema } from '@nozbe/watermelondb'
import LokiModule from '@nozbe/watermelondb/adapters/lokijs/index.js'
import { synchronize } from '@nozbe/watermelondb/sync/index.js'

const LokiJSAdapter = LokiModule.default || LokiModule
const [base, tokensArg, scenario = 'basic'] = process.argv.slice(2)
const tokens = tokensArg.split(',')
const log = (step, data) => process.stdout.write(JSON.stringify({ step, ...data }) + '\n')

// The network between each phone and the server: `drop.pull` / `drop.push` answers are lost on the way (the
// server has handled the request; the phone sees a failure, as after a cut in a lift shaft).
function makeApi(token, drop) {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
  return async function api(method, path, body) {
    const response = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) })
    const text = await response.text()
    if (!response.ok) {
      const error = new Error(`${method} ${path} -> ${response.status} ${text}`)
      error.status = response.status
      throw error
    }
    for (const kind of ['pull', 'push']) {
      if (path.startsWith(`/api/v1/sync/${kind}`) && drop[kind] > 0) {
        drop[kind] -= 1
        const error = new Error(`${kind} answer lost on the way`)
        error.lost = true
        throw error
      }
    }
    return JSON.parse(text)
  }
}

const serverSchema = await makeApi(tokens[0], {})('GET', '/api/v1/sync/schema')
const schema = appSchema({
  version: serverSchema.version,
  tables: serverSchema.tables.map((t) => tableSchema({ name: t.name, columns: t.columns })),
})

function makeDevice(token, index) {
  const modelClasses = serverSchema.tables.map((t) => {
    const cls = class extends Model {}
    cls.table = t.name
    return cls
  })
  const adapter = new LokiJSAdapter({ schema, useWebWorker: false, useIncrementalIndexedDB: false,
    dbName: `anxin-${index}` })
  const database = new Database({ adapter, modelClasses })
  const drop = { pull: 0, push: 0 }
  const api = makeApi(token, drop)
  const sync = () => synchronize({
    database,
    pullChanges: async ({ lastPulledAt, schemaVersion, migration }) => {
      const query = `last_pulled_at=${lastPulledAt ?? 'null'}&schema_version=${schemaVersion}` +
        `&migration=${encodeURIComponent(JSON.stringify(migration ?? null))}`
      const { changes, timestamp } = await api('GET', `/api/v1/sync/pull?${query}`)
      return { changes, timestamp }
    },
    pushChanges: async ({ changes, lastPulledAt }) => {
      await api('POST', `/api/v1/sync/push?last_pulled_at=${lastPulledAt}`, { changes, last_pulled_at: lastPulledAt })
    },
  })
  // synchronize() does not retry after a 409 or a lost answer: the app calls it again (it pulls, then pushes).
  async function syncRetrying() {
    const failures = []
    for (let attempt = 1; ; attempt += 1) {
      try {
        await sync()
        return { attempts: attempt, failures }
      } catch (error) {
        failures.push(error.lost ? 'lost' : String(error.status))
        if (!(error.status === 409 || error.lost) || attempt >= 5) throw error
      }
    }
  }
  const rows = async (table) => (await database.get(table).query().fetch()).map((r) => r._raw)
  // Everything the phone holds, without WatermelonDB's own bookkeeping.
  async function holds() {
    const all = {}
    for (const t of serverSchema.tables) {
      all[t.name] = Object.fromEntries((await rows(t.name)).map((raw) => [raw.id, Object.fromEntries(
        Object.entries(raw).filter(([k]) => !k.startsWith('_') && !k.startsWith('$') && k !== 'meta'))]))
    }
    return all
  }
  const pending = async () => {
    const states = []
    for (const t of serverSchema.tables) states.push(...(await rows(t.name)).map((r) => r._status))
    return states.filter((s) => s !== 'synced').length
  }
  return { database, drop, syncRetrying, rows, holds, pending }
}

async function offlineWork(device, order) {
  // Offline in the basement: the technician sets off, arrives, writes a comment.
  const now = Date.now()
  await device.database.write(async () => {
    await device.database.get('work_order_events').create((e) => {
      Object.assign(e._raw, { work_order_id: order.id, from_state: 'assigned', to_state: 'en_route',
        device_at: now - 120000, note: '出发', status: 'pending' })
    })
    await device.database.get('work_order_events').create((e) => {
      Object.assign(e._raw, { work_order_id: order.id, from_state: 'en_route', to_state: 'on_site',
        device_at: now - 60000, note: '到达', status: 'pending' })
    })
    await device.database.get('comments').create((c) => {
      Object.assign(c._raw, { work_order_id: order.id, body: '地下车库没有信号，已到现场', owner_visible: false,
        author_name: '', created_at: now })
    })
  })
}

async function waitForGo() {
  // The test makes the office's changes, then writes one line.
  process.stdin.setEncoding('utf8')
  for await (const chunk of process.stdin) {
    if (chunk.includes('go')) return
  }
}

const devices = tokens.map(makeDevice)
for (const device of devices) await device.syncRetrying()
const orders = await devices[0].rows('work_orders')
log('first_sync', { orders: orders.map((o) => ({ id: o.id, state: o.state })),
  categories: (await devices[0].rows('categories')).length })

if (scenario === 'basic') {
  if (orders.length !== 1) throw new Error(`expected one order, got ${orders.length}`)
  const [device] = devices
  await offlineWork(device, orders[0])
  log('offline_changes', { events: (await device.rows('work_order_events')).length })
  // Signal returns.
  const { attempts } = await device.syncRetrying()
  await device.syncRetrying() // the next sync brings back the server's version of what was pushed
  const after = (await device.rows('work_orders'))[0]
  const events = await device.rows('work_order_events')
  log('after_sync', {
    attempts,
    order_state: after.state,
    events: events.map((e) => ({ id: e.id, to: e.to_state, status: e.status, sync: e._status })),
    comments: (await device.rows('comments')).map((c) => ({ id: c.id, body: c.body, sync: c._status })),
  })
} else {
  const first = devices[0]
  if (scenario === 'lost_push') {
    await offlineWork(first, orders.find((o) => o.state === 'assigned'))
    first.drop.pull = 0
    first.drop.push = 1
  } else {
    log('ready', {})
    await waitForGo()
    first.drop.pull = scenario === 'lost_twice' ? 2 : 1
  }
  const results = []
  for (const device of devices) {
    const result = await device.syncRetrying() // the retries after the lost answers
    await device.syncRetrying() // and the sync after that, as the app runs it
    results.push({ ...result, pending: await device.pending(), holds: await device.holds() })
  }
  log('final', { devices: results })
}
// LokiJS keeps timers alive (autosave): the scenario is over.
process.exit(0)
