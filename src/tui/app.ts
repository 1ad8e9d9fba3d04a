// The interactive `novacron status`: polls every watched node once a second (each on its own loop, so a
// node that does not answer delays no other), keeps a short tps history per node, and answers keys:
// q quit, tab / shift-tab next / previous node, p pause, ? help.
import React, { useEffect, useState } from 'react'
import { render, useApp, useInput } from 'ink'
import { StatusScreen } from './components.ts'
import { emptyView, withError, withStatus, type StatusTarget, type TargetView } from './model.ts'

const h = React.createElement

export interface AppProps {
  targets: readonly StatusTarget[]
  intervalMs?: number
  now?: () => number
}

export function App ({ targets, intervalMs = 1000, now = Date.now }: AppProps): React.ReactElement {
  const { exit } = useApp()
  const [views, setViews] = useState<TargetView[]>(() => targets.map(emptyView))
  const [index, setIndex] = useState(0)
  const [paused, setPaused] = useState(false)
  const [help, setHelp] = useState(false)
  const [clock, setClock] = useState(() => now())

  useEffect(() => {
    if (paused) return
    let stopped = false
    const timers: Array<ReturnType<typeof setTimeout>> = []
    targets.forEach((target, i) => {
      const tick = async (): Promise<void> => {
        let next: (v: TargetView) => TargetView
        try {
          const status = await target.status()
          const at = now()
          next = v => withStatus(v, status, at)
        } catch (err) {
          next = v => withError(v, err)
        }
        if (stopped) return
        setViews(vs => vs.map((v, j) => j === i ? next(v) : v))
        setClock(now())
        timers[i] = setTimeout(() => { void tick() }, intervalMs)
      }
      void tick()
    })
    return () => {
      stopped = true
      for (const t of timers) clearTimeout(t)
    }
  }, [paused, targets, intervalMs, now])

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) exit()
    else if (key.tab) setIndex(i => (i + (key.shift ? targets.length - 1 : 1)) % targets.length)
    else if (input === 'p') setPaused(p => !p)
    else if (input === '?') setHelp(x => !x)
  })

  return h(StatusScreen, { views, index, paused, help, now: clock })
}

/** Runs the TUI until the user quits. The caller decided that a human is watching (isInteractive). */
export async function runStatusTui (targets: readonly StatusTarget[], { intervalMs = 1000 }: { intervalMs?: number } = {}): Promise<void> {
  if (targets.length === 0) throw new Error('no node to show')
  // interactive: true because the caller already checked for a TTY; Ink's own check would also turn
  // the TUI off whenever CI is set in the environment.
  const app = render(h(App, { targets, intervalMs }), { interactive: true, exitOnCtrlC: true, alternateScreen: true, patchConsole: true })
  await app.waitUntilExit()
}
