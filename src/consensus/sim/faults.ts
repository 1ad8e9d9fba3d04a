// Fault schedules described as data, compiled into a scenario's crashes and adversary: the benchmarks
// aim one description at each protocol's own proposers (its `targets`, in the order it fails over to
// them), so every protocol meets the same kind of fault where it hurts it most.
import type { Crash } from './scenario.ts'

export type FaultSpec =
  | { readonly kind: 'none' }
  /** The first `count` targets crash at `atMs` and stay down for the run. */
  | { readonly kind: 'crash', readonly count: number, readonly atMs: number }
  /** The first target goes down for `downMs`, up for `upMs`, repeatedly from `atMs` until the run ends. */
  | { readonly kind: 'flap', readonly atMs: number, readonly downMs: number, readonly upMs: number }
  /** The first `count` targets run `adversary` (e.g. 'delay': every message just past the timeout). */
  | { readonly kind: 'byzantine', readonly count: number, readonly adversary: string }

export interface CompiledFault {
  readonly crashes: Crash[]
  readonly byzantine: number[]
  readonly adversary: string
}

/** `spec` against `targets` (node indices) in a run that ends at `endMs`; crashes outlive the run. */
export function compileFault (spec: FaultSpec, targets: readonly number[], endMs: number): CompiledFault {
  const none: CompiledFault = { crashes: [], byzantine: [], adversary: 'none' }
  switch (spec.kind) {
    case 'none': return none
    case 'crash':
      return { ...none, crashes: targets.slice(0, spec.count).map((node) => ({ node, at: spec.atMs, restart: endMs + 60_000 })) }
    case 'flap': {
      const crashes: Crash[] = []
      for (let at = spec.atMs; at < endMs; at += spec.downMs + spec.upMs) crashes.push({ node: targets[0], at, restart: at + spec.downMs })
      return { ...none, crashes }
    }
    case 'byzantine':
      return { ...none, byzantine: [...targets.slice(0, spec.count)].sort((a, b) => a - b), adversary: spec.adversary }
  }
}
