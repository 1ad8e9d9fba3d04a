// The PBFT baselines T-PBFT's view-change benchmark compares against (bench/tpbft-scenarios.ts): PBFT
// rotating its primary every `every` committed sequence numbers, and PBFT whose view v is led by the
// trust ranking's v mod n-th validator. Both are plain PBFT's variant with one choice changed; registered
// nowhere, so PBFT itself, its genesis and its simulator traces are untouched.
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { ThreePhaseVariant, VariantHost } from '../three-phase/variant.ts'
import { pbftVariant } from './variant.ts'

/** PBFT whose replicas start a view change each time their committed sequence passes a multiple of
 *  `every`: every honest replica crosses the same multiples, so they rotate together (a replica that
 *  restarts counts from where it stands, not from zero, and does not rotate alone). */
export function rotatingPbftVariant (validators: ValidatorSet, every: number): ThreePhaseVariant {
  if (!Number.isInteger(every) || every < 1) throw new Error(`rotateEvery must be a positive integer, not ${every}`)
  let host: VariantHost | undefined
  let rotatedThrough: number | undefined
  return {
    ...pbftVariant(validators),
    attach (h) { host = h },
    afterInput () {
      if (host === undefined) return
      const block = Math.floor(host.lastCommitted() / every)
      if (rotatedThrough === undefined) rotatedThrough = block
      if (block <= rotatedThrough) return
      rotatedThrough = block
      host.changeView()
    }
  }
}

/** PBFT with view v's primary at ranking[v mod n] (the ranking T-PBFT's epoch orders its windows by). */
export function trustOrderedPbftVariant (validators: ValidatorSet, ranking: readonly ValidatorId[]): ThreePhaseVariant {
  if (ranking.length !== validators.n || new Set(ranking).size !== validators.n || ranking.some((id) => !validators.ids.includes(id))) {
    throw new Error('a trust ranking must order every validator exactly once')
  }
  return { ...pbftVariant(validators), leaders: { leader: (view) => ranking[view % ranking.length] } }
}
