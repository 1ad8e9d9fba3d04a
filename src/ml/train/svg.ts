// Small dependency-free SVG line charts for the model cards (calibration curves, predicted vs actual).
export interface Series { name: string, points: Array<[number, number]>, dashed?: boolean }

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b']

export function lineChart (opts: { title: string, xLabel: string, yLabel: string, series: Series[], xMax?: number, yMax?: number, diagonal?: boolean }): string {
  const W = 560
  const H = 400
  const L = 60
  const R = 160
  const T = 36
  const B = 50
  const all = opts.series.flatMap(s => s.points)
  const xMax = opts.xMax ?? Math.max(...all.map(p => p[0]), 1e-9)
  const yMax = opts.yMax ?? Math.max(...all.map(p => p[1]), 1e-9)
  const sx = (x: number): number => L + (x / xMax) * (W - L - R)
  const sy = (y: number): number => H - B - (y / yMax) * (H - T - B)
  const f = (v: number): string => v.toFixed(1)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - R / 2}" y="20" text-anchor="middle" font-size="14">${escape(opts.title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${escape(opts.xLabel)}</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${escape(opts.yLabel)}</text>`
  ]
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5
    const yv = (yMax * i) / 5
    parts.push(`<text x="${f(sx(xv))}" y="${H - B + 16}" text-anchor="middle">${fmt(xv)}</text>`)
    parts.push(`<text x="${L - 6}" y="${f(sy(yv) + 4)}" text-anchor="end">${fmt(yv)}</text>`)
    parts.push(`<line x1="${L}" y1="${f(sy(yv))}" x2="${W - R}" y2="${f(sy(yv))}" stroke="#eee"/>`)
  }
  if (opts.diagonal === true) parts.push(`<line x1="${f(sx(0))}" y1="${f(sy(0))}" x2="${f(sx(Math.min(xMax, yMax)))}" y2="${f(sy(Math.min(xMax, yMax)))}" stroke="#999" stroke-dasharray="4 4"/>`)
  opts.series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${f(sx(p[0]))},${f(sy(p[1]))}`).join(' ')
    parts.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 3"' : ''}/>`)
    for (const p of s.points) parts.push(`<circle cx="${f(sx(p[0]))}" cy="${f(sy(p[1]))}" r="3" fill="${c}"/>`)
    parts.push(`<line x1="${W - R + 12}" y1="${T + 10 + i * 18}" x2="${W - R + 32}" y2="${T + 10 + i * 18}" stroke="${c}" stroke-width="2"/>`)
    parts.push(`<text x="${W - R + 38}" y="${T + 14 + i * 18}">${escape(s.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

function fmt (v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)
}

function escape (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
