// Progress for steps that can take more than a second: a spinner with the elapsed time on stderr, only
// when a person watches (a TTY, no --json, no CI), and only once the step has run for a moment, so quick
// answers never flicker. Scripts see nothing.
import { isInteractive, type CliContext } from './context.ts'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const SHOW_AFTER_MS = 300

export async function withProgress<T> (ctx: CliContext, label: string, work: () => Promise<T>): Promise<T> {
  if (!isInteractive(ctx.flags, process.stderr)) return await work()
  const started = Date.now()
  let frame = 0
  let drawn = false
  const timer = setInterval(() => {
    if (Date.now() - started < SHOW_AFTER_MS) return
    drawn = true
    process.stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }, 100)
  try {
    return await work()
  } finally {
    clearInterval(timer)
    if (drawn) process.stderr.write('\r\x1b[2K')
  }
}
