// Bullshark with a deliberate bug that the agreement checker must catch, reached only through the module's
// plantedBugs (the checker tests), never by a node.
import { Bullshark } from './bullshark.ts'

/** Commits an anchor as soon as its certificate is held, without f + 1 certificates of the next round
 *  referencing it: a node that holds a late anchor commits it while peers that moved on never do. */
export class CommitsWithoutSupport extends Bullshark {
  protected override commitStake (): number { return 0 }
}
