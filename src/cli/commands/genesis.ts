import { writeFileSync } from 'node:fs'
import { Option } from 'commander'
import type { Register } from '../main.ts'
import { GENESIS_VERSION, faultTolerance, genesisHash, parseGenesis, parseValidatorSpec } from '../../config/genesis.ts'
import { AVAILABLE_PROTOCOLS, KNOWN_PROTOCOLS, checkGenesis, genesisParams } from '../../node/protocols.ts'
import { findProtocol } from '../../consensus/registry.ts'
import { usageError } from '../../config/errors.ts'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export const registerGenesis: Register = (program, context) => {
  const genesis = program.command('genesis').description('create the genesis file every validator of a cluster starts from')
  genesis.command('create')
    .description('write a genesis file from the validators\' `novacron node id` lines')
    .requiredOption('--cluster <name>', 'cluster name')
    .addOption(new Option('--protocol <name>', 'consensus protocol').choices(KNOWN_PROTOCOLS).makeOptionMandatory())
    .requiredOption('--validator <spec>', 'PEER_ID=PUBKEY[,vrf=VRF_PUBKEY]@MULTIADDR (repeatable; one per validator; `node id` prints it; ProBFT needs the vrf key)', collect)
    .option('--param <key=value>', `consensus parameter (repeatable); per protocol: ${AVAILABLE_PROTOCOLS.map((p) => `${p}: ${Object.keys(findProtocol(p)?.params.genesisDefaults ?? {}).join(', ')}`).join('; ')}`, collect)
    .option('--out <file>', 'write here instead of stdout')
    .addHelpText('after', `
Example:
  $ novacron genesis create --cluster prod --protocol pbft \\
      --validator 12D3KooW...=4f1c...@/ip4/10.0.0.1/tcp/7400 \\
      --validator 12D3KooW...=9a0b...@/ip4/10.0.0.2/tcp/7400 ... --out genesis.json`)
    .action((opts: { cluster: string, protocol: string, validator: string[], param?: string[], out?: string }) => {
      const ctx = context()
      const params = genesisParams(opts.protocol, opts.param ?? [])
      const raw = {
        version: GENESIS_VERSION,
        cluster: opts.cluster,
        protocol: opts.protocol,
        createdAt: new Date().toISOString(),
        params,
        validators: opts.validator.map(parseValidatorSpec)
      }
      let genesis
      try {
        genesis = parseGenesis(raw, 'genesis')
      } catch (err) {
        throw usageError((err as Error).message)
      }
      checkGenesis(genesis, 'genesis', 'usage')
      const text = JSON.stringify(genesis, null, 2) + '\n'
      const n = genesis.validators.length
      if (opts.out != null) {
        writeFileSync(opts.out, text)
        ctx.print({ file: opts.out, hash: genesisHash(genesis), n, f: faultTolerance(n) }, r => `wrote ${r.file}: ${n} validators tolerate f=${r.f} faults, genesis ${r.hash.slice(0, 16)}`)
      } else {
        process.stdout.write(text)
      }
    })
}
