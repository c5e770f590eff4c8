import './styles.css'
import { Workbox } from 'workbox-window'
import { openDatabase, TABLES } from './db'
import { idbPhotoStore } from './photos'
import { blocked, mount } from './app'
import { t } from './i18n'

const el = document.getElementById('app')!

if ('serviceWorker' in navigator) {
  // Precaches the shell: the next start works with no network at all.
  new Workbox('/tech/sw.js', { scope: '/tech/' }).register().catch(() => undefined)
}
// Some browsers evict the data of sites that are not installed or persisted.
navigator.storage?.persist?.().catch(() => undefined)

function start() {
  let overwritten = false
  const database = openDatabase({
    onOverwrite: () => { if (!overwritten) { overwritten = true; alert(t('另一个标签页修改了本地数据，已重新加载')); location.reload() } },
    onVersionChange: () => location.reload(),
    onQuota: () => alert(t('存储空间不足')),
    onSetUpError: (e) => blocked(el, t('安心维修'), String(e)),
  })
  const photos = idbPhotoStore()
  photos.db.then((ops) => mount({ database, photos, ops, tables: TABLES }, el))
  ;(window as any).anxinDatabase = database
}

// One tab at a time: two copies of the Loki database in two tabs overwrite each other's IndexedDB.
if (navigator.locks) {
  navigator.locks.request('anxin-tech-database', { ifAvailable: true }, (lock) => {
    if (!lock) { blocked(el, t('应用已在另一个标签页打开'), t('请关闭其他标签页后刷新')); return undefined }
    start()
    return new Promise(() => undefined) // held for the tab's life
  })
} else {
  const channel = new BroadcastChannel('anxin-tech')
  let other = false
  channel.onmessage = (e) => { if (e.data === 'hello') channel.postMessage('here'); else if (e.data === 'here') other = true }
  channel.postMessage('hello')
  setTimeout(() => (other ? blocked(el, t('应用已在另一个标签页打开'), t('请关闭其他标签页后刷新')) : start()), 300)
}
