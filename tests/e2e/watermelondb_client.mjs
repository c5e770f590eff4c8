// A real WatermelonDB client (0.28, LokiJS adapter, in memory) that syncs with the Anxin server.
// Usage: node tests/e2e/watermelondb_client.mjs <base url> <device token> <scenario>
// Prints one JSON line per step; exits non-zero on any failure.
import { Database, Model, appSchema, tableSchema } from '@nozbe/watermelondb'
import LokiModule from '@nozbe/watermelondb/adapters/lokijs/index.js'
import { synchronize } from '@nozbe/watermelondb/sync/index.js'

const LokiJSAdapter = LokiModule.default || LokiModule
const [base, token] = process.argv.slice(2)
const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
const log = (step, data) => process.stdout.write(JSON.stringify({ step, ...data }) + '\n')

async function api(method, path, body) {
  const response = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) })
  const text = await response.text()
  if (!response.ok) {
    const error = new Error(`${method} ${path} -> ${response.status} ${text}`)
    error.status = response.status
    throw error
  }
  return JSON.parse(text)
}

const serverSchema = await api('GET', '/api/v1/sync/schema')
const schema = appSchema({
  version: serverSchema.version,
  tables: serverSchema.tables.map((t) => tableSchema({ name: t.name, columns: t.columns })),
})
const modelClasses = serverSchema.tables.map((t) => {
  const cls = class extends Model {}
  cls.table = t.name
  return cls
})
const adapter = new LokiJSAdapter({ schema, useWebWorker: false, useIncrementalIndexedDB: false, dbName: 'anxin' })
const database = new Database({ adapter, modelClasses })

async function sync() {
  await synchronize({
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
}

async function syncRetrying() {
  // synchronize() does not retry after a 409: the app calls it again (it pulls, then pushes again).
  for (let attempt = 1; ; attempt += 1) {
    try {
      await sync()
      return attempt
    } catch (error) {
      if (error.status !== 409 || attempt >= 3) throw error
    }
  }
}

const rows = async (table) => (await database.get(table).query().fetch()).map((r) => r._raw)

await syncRetrying()
const orders = await rows('work_orders')
log('first_sync', { orders: orders.map((o) => ({ id: o.id, state: o.state })), categories: (await rows('categories')).length })
if (orders.length !== 1) throw new Error(`expected one order, got ${orders.length}`)
const order = orders[0]

// Offline in the basement: the technician sets off, arrives, writes a comment.
const now = Date.now()
await database.write(async () => {
  await database.get('work_order_events').create((e) => {
    Object.assign(e._raw, { work_order_id: order.id, from_state: 'assigned', to_state: 'en_route',
      device_at: now - 120000, note: '出发', status: 'pending' })
  })
  await database.get('work_order_events').create((e) => {
    Object.assign(e._raw, { work_order_id: order.id, from_state: 'en_route', to_state: 'on_site',
      device_at: now - 60000, note: '到达', status: 'pending' })
  })
  await database.get('comments').create((c) => {
    Object.assign(c._raw, { work_order_id: order.id, body: '地下车库没有信号，已到现场', owner_visible: false,
      author_name: '', created_at: now })
  })
})
log('offline_changes', { events: (await rows('work_order_events')).length })

// Signal returns.
const attempts = await syncRetrying()
await syncRetrying() // the next sync brings back the server's version of what was pushed
const after = (await rows('work_orders'))[0]
const events = await rows('work_order_events')
log('after_sync', {
  attempts,
  order_state: after.state,
  events: events.map((e) => ({ id: e.id, to: e.to_state, status: e.status, sync: e._status })),
  comments: (await rows('comments')).map((c) => ({ id: c.id, body: c.body, sync: c._status })),
})
// LokiJS keeps timers alive (autosave): the scenario is over.
process.exit(0)
