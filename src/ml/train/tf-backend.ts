// The one place tfjs's backend is chosen: wasm (several times faster than tfjs's pure-JS one here;
// tfjs-node cannot install), the CPU one where wasm cannot start. tfjs's engine is one per process, so the
// choice is made once: setBackend while another training was still initialising or running re-entered the
// engine's set-up, and FL's in-process test (three services training at once) hung a round about once in
// a few full CI runs. FL's local steps (fitLstm) also run one at a time (`exclusive`): trainings share that
// engine and the one thread, so interleaving them at each step's await gains nothing and only risks its state.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'

let ready: Promise<void> | undefined
let queue: Promise<unknown> = Promise.resolve()

/** Resolves once the backend is set (the first call chooses it; later ones share that promise). */
export async function tfReady (): Promise<void> {
  ready ??= (async () => {
    if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu')
    await tf.ready()
  })()
  await ready
}

/** Runs `f` after every training started before it has finished (and the backend is ready). */
export async function exclusive<T> (f: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => { await tfReady(); return await f() })
  queue = run.catch(() => undefined)
  return await run
}
