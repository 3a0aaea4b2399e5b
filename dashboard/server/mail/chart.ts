/**
 * The report's small graph as a PNG (pngjs encodes it): one bar a day, the accent colour of the
 * dashboard, on white. A PNG attached by Content-ID shows in every mail client, where inline SVG does not
 * (Gmail and Outlook drop it). The numbers are in the mail's text beside it; the picture only shows the shape.
 */
import { PNG } from 'pngjs'

const WIDTH = 560
const HEIGHT = 140
const PAD = 8
const BAR = [79, 91, 213] as const
const BASE = [227, 231, 236] as const

export function barChart(values: readonly number[]): Buffer {
  const png = new PNG({ width: WIDTH, height: HEIGHT })
  png.data.fill(255)
  const fill = (x0: number, y0: number, x1: number, y1: number, [r, g, b]: readonly [number, number, number]) => {
    for (let y = Math.max(0, y0); y < Math.min(HEIGHT, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(WIDTH, x1); x++) {
        const i = (y * WIDTH + x) * 4
        png.data[i] = r
        png.data[i + 1] = g
        png.data[i + 2] = b
        png.data[i + 3] = 255
      }
    }
  }
  const max = Math.max(1, ...values)
  const slot = (WIDTH - 2 * PAD) / Math.max(1, values.length)
  const gap = Math.min(6, Math.floor(slot / 4))
  const bottom = HEIGHT - PAD
  values.forEach((v, i) => {
    const height = Math.round(((HEIGHT - 2 * PAD) * v) / max)
    const x0 = Math.round(PAD + i * slot + gap / 2)
    fill(x0, bottom - height, Math.round(PAD + (i + 1) * slot - gap / 2), bottom, BAR)
  })
  fill(PAD, bottom, WIDTH - PAD, bottom + 1, BASE)
  return PNG.sync.write(png)
}

export const CHART_SIZE = { width: WIDTH, height: HEIGHT }
