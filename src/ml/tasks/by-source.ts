// Leave-one-source-out evaluation, shared by every pipeline: train on all sources but one, test on the one
// left out, and report the model beside its baselines per source. A model that only wins on rows of the
// sources it saw is not one to trust on a user's cluster; this table is what the guard's default rests on.
export interface SourceFold {
  /** The source left out (a Grid'5000 site, a bandwidth data set, a compression corpus or file kind). */
  source: string
  /** How many groups (nodes, traces, files) and scored samples the left-out source has. */
  groups: number
  samples: number
  model: Record<string, number | Record<string, number>>
  baselines: Record<string, Record<string, number | Record<string, number>>>
  /** The best baseline by the task's headline metric, and whether the model beat it on this source. */
  bestBaseline: string
  modelWins: boolean
}

export interface BySourceResult {
  model: string
  data: string
  /** What a source is for this model, e.g. "Grid'5000 site". */
  sourceKind: string
  /** The headline metric the winner is decided by, and whether lower is better. */
  metric: string
  lowerIsBetter: boolean
  seed: number
  folds: SourceFold[]
}

/** Picks the best baseline by `metric` and says whether the model beat it. */
export function judgeFold (fold: Omit<SourceFold, 'bestBaseline' | 'modelWins'>, metric: (m: SourceFold['model']) => number, lowerIsBetter: boolean): SourceFold {
  let best = ''
  let bestValue = lowerIsBetter ? Infinity : -Infinity
  for (const [name, m] of Object.entries(fold.baselines)) {
    const v = metric(m)
    if (Number.isNaN(v)) continue
    if (lowerIsBetter ? v < bestValue : v > bestValue) { best = name; bestValue = v }
  }
  const mv = metric(fold.model)
  const modelWins = !Number.isNaN(mv) && (lowerIsBetter ? mv < bestValue : mv > bestValue)
  return { ...fold, bestBaseline: best, modelWins }
}

/** Groups items by a key, in first-seen order. */
export function groupBy<T> (items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const it of items) {
    const k = key(it)
    let g = out.get(k)
    if (g == null) { g = []; out.set(k, g) }
    g.push(it)
  }
  return out
}

const cell = (v: unknown): string => typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v == null ? '-' : String(v)

/** The card's and the CLI's table: one row per left-out source, the model's and each baseline's columns. */
export function bySourceMarkdown (r: BySourceResult, columns: Array<[string, (m: SourceFold['model']) => unknown]>): string {
  const names = [...new Set(r.folds.flatMap(f => Object.keys(f.baselines)))]
  const head = ['left-out source', 'samples', ...columns.map(([c]) => `model ${c}`), ...names.flatMap(n => columns.map(([c]) => `${n} ${c}`)), 'model wins']
  const rows = r.folds.map(f => [f.source, String(f.samples), ...columns.map(([, g]) => cell(g(f.model))), ...names.flatMap(n => columns.map(([, g]) => f.baselines[n] == null ? '-' : cell(g(f.baselines[n])))), f.modelWins ? 'yes' : `**no** (${f.bestBaseline})`])
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map(c => `| ${c.join(' | ')} |`)].join('\n')
}
