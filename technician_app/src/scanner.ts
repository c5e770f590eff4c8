// The camera reads a QR label: the browser's BarcodeDetector where it reads QR codes (Android Chrome, Safari 17+),
// otherwise jsQR (npm, pure JS), loaded only then — its chunk is precached with the shell, so it works offline.

type Detect = () => Promise<string | null>

async function detector(video: HTMLVideoElement): Promise<Detect> {
  const Native = (globalThis as any).BarcodeDetector
  if (Native && typeof Native.getSupportedFormats === 'function') {
    const formats: string[] = await Native.getSupportedFormats().catch(() => [])
    if (formats.includes('qr_code')) {
      const d = new Native({ formats: ['qr_code'] })
      return async () => ((await d.detect(video)) as { rawValue: string }[])[0]?.rawValue ?? null
    }
  }
  const jsQR = (await import('jsqr')).default
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!
  return async () => {
    const w = video.videoWidth, h = video.videoHeight
    if (!w || !h) return null
    const scale = Math.min(1, 640 / Math.max(w, h)) // a label fills much of the frame: 640 px is plenty, and fast
    canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale)
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height)
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height)
    return jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' })?.data ?? null
  }
}

export interface Scanning { stop(): void }

/** Opens the back camera into `video` and calls `onText` with the first QR code read; throws when there is no camera. */
export async function startScan(video: HTMLVideoElement, onText: (text: string) => void): Promise<Scanning> {
  if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no camera'), { code: 'no_camera' })
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false })
  let stopped = false
  const stop = () => { stopped = true; for (const track of stream.getTracks()) track.stop(); video.srcObject = null }
  try {
    video.srcObject = stream
    video.setAttribute('playsinline', '')
    video.muted = true
    await video.play()
    const detect = await detector(video)
    const tick = async () => {
      if (stopped) return
      const text = await detect().catch(() => null)
      if (stopped) return
      if (text) { stop(); onText(text); return }
      setTimeout(() => { void tick() }, 120)
    }
    void tick()
  } catch (e) {
    stop()
    throw e
  }
  return { stop }
}
