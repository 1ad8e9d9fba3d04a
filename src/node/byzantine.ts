// Test builds only: a validator that runs one of the simulator's Byzantine behaviours inside the real
// node (`node start --byzantine MODE`), so chaos runs can put f lying nodes among the honest ones. The
// behaviour wraps the honest protocol (rewritten effects) and the transport (tampered, delayed, dropped
// bytes), exactly as in the simulator; it can sign only with this node's own key.
import { MessageSigner, type Message, type Protocol, type ValidatorSet } from '../consensus/core/index.ts'
import type { Transport } from '../consensus/driver/index.ts'
import { byzantine, makeAdversary, type Adversary } from '../consensus/sim/adversary.ts'
import type { AdversaryKind } from '../consensus/sim/scenario.ts'
import { protocolModule } from '../consensus/registry.ts'
import { Prng } from '../consensus/sim/prng.ts'
import type { Signer } from '../crypto/index.ts'
import { NovacronError } from '../config/errors.ts'

/** The modes `--byzantine` accepts for a protocol. */
export function byzantineModes (protocol: string): readonly string[] {
  return protocolModule(protocol).sim.adversaries.filter(k => k !== 'none')
}

export interface ByzantineWiring {
  protocol: Protocol<Message>
  transport: (honest: Transport) => Transport
  inbound: (bytes: Uint8Array) => void
}

export function wireByzantine (mode: string, inner: Protocol<Message>, ctx: { self: string, protocolName: string, validators: ValidatorSet, signer: Signer, genesisHash: Uint8Array, timeoutMs: number, seed: number }): ByzantineWiring {
  if (!byzantineModes(ctx.protocolName).includes(mode)) throw new NovacronError('usage', `--byzantine must be one of ${byzantineModes(ctx.protocolName).join(', ')} for ${ctx.protocolName}, got ${JSON.stringify(mode)}`)
  const adversary: Adversary | undefined = makeAdversary(mode as AdversaryKind, {
    self: ctx.self,
    others: ctx.validators.others(ctx.self),
    protocol: ctx.protocolName,
    family: protocolModule(ctx.protocolName).sim.adversaryFamily,
    validators: ctx.validators,
    signer: new MessageSigner(ctx.signer, inner.codec, ctx.genesisHash),
    genesisHash: ctx.genesisHash,
    timeoutMs: ctx.timeoutMs,
    status: () => inner.status(),
    rng: new Prng(ctx.seed),
    now: () => Date.now(),
    // The simulator restarts a crashed node honest; here the process ends and whoever runs it restarts it.
    crash: () => process.kill(process.pid, 'SIGKILL')
  })
  if (adversary === undefined) throw new NovacronError('usage', `--byzantine ${mode} is not defined for ${ctx.protocolName}`)
  return {
    protocol: byzantine(inner, adversary),
    transport: honest => adversary.outbound == null
      ? honest
      : {
          send: (to, bytes) => {
            for (const o of adversary.outbound!(to, bytes)) {
              if (o.delayMs <= 0) honest.send(o.to, o.bytes)
              else setTimeout(() => honest.send(o.to, o.bytes), o.delayMs).unref()
            }
          }
        },
    inbound: bytes => adversary.inbound?.(bytes)
  }
}
