// Leader schedules: who leads a view (PBFT family) or an anchor slot (Bullshark). Every replica computes
// the same one from the canonical validator order.
import type { ValidatorId, ValidatorSet } from './validators.ts'

export interface LeaderSchedule {
  leader (view: number): ValidatorId
}

/** View v is led by the validator at v mod n. */
export function roundRobin (validators: ValidatorSet): LeaderSchedule {
  const ids = validators.ids
  return { leader: (view) => ids[view % ids.length] }
}
