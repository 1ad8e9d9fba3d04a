// `novacron status` in a real terminal: tmux runs it against a 4-node devnet, and the test reads the
// screen with capture-pane while it submits puts, presses tab to change node, and q to quit.
// CI sets CI=true, which turns every TUI off (isInteractive, and Ink's own check): the child runs without it.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanup, cli, json, tempDir, waitUntil } from './helpers.ts'

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const bin = process.env.NOVACRON_BIN != null && process.env.NOVACRON_BIN !== ''
  ? [resolve(process.env.NOVACRON_BIN)]
  : [process.execPath, join(repoRoot, 'bin', 'novacron.js')]
const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0
if (!hasTmux) console.log('# skipping the status TUI test: tmux is not installed (apt-get install -y tmux)')

const socket = `nc-e2e-${process.pid}`
const tmux = (...args: string[]): string => {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
const screen = (): string => tmux('capture-pane', '-p', '-t', 'tui')
const shownHeight = (text: string): number | null => {
  const m = /height ([\d,]+)/.exec(text)
  return m == null ? null : Number(m[1].replace(/,/g, ''))
}

describe('status TUI in a terminal', { skip: hasTmux ? false : 'tmux is not installed' }, () => {
  let dir: string
  let nodes: Array<{ dataDir: string }>

  before(async () => {
    dir = tempDir('nc-tui-')
    const up = await cli(['devnet', 'up', '--nodes', '4', '--dir', dir, '--json'])
    assert.equal(up.code, 0, up.stderr)
    nodes = json(up).nodes
  })

  after(async () => {
    try { tmux('kill-server') } catch { /* not started */ }
    await cli(['devnet', 'down', '--dir', dir])
    cleanup()
  })

  test('shows the cluster, follows the height as puts commit, tab changes node, q quits', async () => {
    const command = ['env', '-u', 'CI', 'TERM=xterm-256color', ...bin, 'status', '--data-dir', nodes[0].dataDir].map(quote).join(' ')
    tmux('new-session', '-d', '-s', 'tui', '-x', '120', '-y', '50', command)
    tmux('set-option', '-t', 'tui', 'remain-on-exit', 'on')
    const first = await waitUntil('the TUI to show node-0', 30_000, () => {
      const s = screen()
      return /node-0 \(1\/4\)/.test(s) && shownHeight(s) != null ? s : null
    })
    assert.match(first, /protocol pbft/)
    assert.match(first, /n=4 f=1/)
    assert.match(first, /peers 3\/3 connected/)
    assert.match(first, /health/)
    const h0 = shownHeight(first) ?? 0

    for (let i = 0; i < 3; i++) {
      const put = await cli(['kv', 'put', `tui/${i}`, `v${i}`, '--data-dir', nodes[1 + (i % 3)].dataDir])
      assert.equal(put.code, 0, put.stderr)
    }
    const later = await waitUntil('the shown height to advance', 30_000, () => {
      const s = screen()
      const hNow = shownHeight(s)
      return hNow != null && hNow > h0 ? s : null
    })
    assert.match(later, /committed [\d,]+ tx/)

    tmux('send-keys', '-t', 'tui', 'Tab')
    await waitUntil('node-1 after tab', 10_000, () => /node-1 \(2\/4\)/.test(screen()))
    tmux('send-keys', '-t', 'tui', 'p')
    await waitUntil('PAUSED', 10_000, () => /PAUSED/.test(screen()))
    tmux('send-keys', '-t', 'tui', 'q')
    // tmux 3.3 sometimes marks the pane dead before it has the exit status: a dead pane is the signal,
    // and a status, when tmux has one, must be 0.
    const exit = await waitUntil('the TUI to exit', 10_000, () => {
      const [dead, code] = tmux('list-panes', '-t', 'tui', '-F', '#{pane_dead}:#{pane_dead_status}').trim().split(':')
      return dead === '1' ? { code } : null
    })
    if (exit.code !== '') assert.equal(exit.code, '0')
  })
})
