// The only local store: WatermelonDB on the LokiJS adapter, persisted in IndexedDB (incremental adapter).
// The schema is the server's (/api/v1/sync/schema), kept in schema.json so the app opens with no network; a
// server test checks that the two are the same.
import { Database, Model, appSchema, tableSchema } from '@nozbe/watermelondb'
import LokiModule from '@nozbe/watermelondb/adapters/lokijs'
import serverSchema from './schema.json'

const LokiJSAdapter: any = (LokiModule as any).default ?? LokiModule

export const schema = appSchema({
  version: serverSchema.version,
  tables: serverSchema.tables.map((t: any) => tableSchema({ name: t.name, columns: t.columns })),
})
export const TABLES: string[] = serverSchema.tables.map((t: any) => t.name)

// Models without decorators (Vite's compiler does not transform legacy decorators): fields are read from `_raw`.
const modelClasses = TABLES.map((name) => {
  const cls = class extends Model {}
  ;(cls as any).table = name
  return cls
})

export interface DbEvents {
  onOverwrite: () => void // another tab wrote over our IndexedDB copy
  onVersionChange: () => void // the database was deleted elsewhere (sign-out in another tab)
  onQuota: (e: Error) => void
  onSetUpError: (e: Error) => void
}

export function openDatabase(events: DbEvents, dbName = 'anxin-tech'): Database {
  const adapter = new LokiJSAdapter({
    schema,
    dbName,
    useWebWorker: false, // the overwrite/versionchange/quota callbacks only work on the main thread
    useIncrementalIndexedDB: true,
    onQuotaExceededError: events.onQuota,
    onSetUpError: events.onSetUpError,
    extraLokiOptions: { autosave: true, autosaveInterval: 250 },
    extraIncrementalIDBOptions: { onDidOverwrite: events.onOverwrite, onversionchange: events.onVersionChange },
  })
  return new Database({ adapter, modelClasses })
}

/**
 * A Loki write resolves before it reaches IndexedDB (autosave runs later). After a critical write (a finish, a
 * signature, a sync) we save at once and wait for IndexedDB. WatermelonDB has no public call for it, so this
 * reaches the Loki instance behind the adapter (no web worker): if that shape ever changes it throws, and the
 * browser tests, which reload offline right after a finish, fail.
 */
export function forceSave(database: Database): Promise<void> {
  const adapter: any = (database.adapter as any).underlyingAdapter ?? database.adapter
  const loki = adapter?._dispatcher?._worker?._bridge?.driver?.loki
  if (!loki || typeof loki.saveDatabase !== 'function') {
    return Promise.reject(new Error('forceSave: the LokiJS instance is not reachable'))
  }
  return new Promise((resolve, reject) => loki.saveDatabase((err: unknown) => (err ? reject(err) : resolve())))
}

export type Raw = Record<string, any>

export async function rows(database: Database, table: string): Promise<Raw[]> {
  return (await database.get(table).query().fetch()).map((r: any) => r._raw)
}

export async function create(database: Database, table: string, values: Raw): Promise<Raw> {
  let made: any
  await database.write(async () => {
    made = await database.get(table).create((r: any) => { Object.assign(r._raw, values) })
  })
  return made._raw
}
