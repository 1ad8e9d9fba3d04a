import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Register } from '../main.ts'
import { DATA_FILES, createClientKey, createToken, ensureDataDir } from '../../node/data-dir.ts'
import { createVrfKey } from '../../node/vrf-key.ts'

export const registerInit: Register = (program, context) => {
  program.command('init')
    .description("create this host's node key (Ed25519, 0600), VRF key (ECVRF, 0600, for ProBFT), client key (0600, signs kv writes), admin token and default config in its data dir; run again to add what an older init did not make")
    .option('--cluster <name>', 'cluster name; picks the default data dir')
    .option('--force', 'replace an existing key and token (the node gets a new peer id)')
    .addHelpText('after', `
Example:
  $ novacron init --cluster prod
  $ novacron init --data-dir /var/lib/novacron --json`)
    .action(async (opts: { cluster?: string, force?: boolean }) => {
      const ctx = context()
      const settings = ctx.settings({ cluster: opts.cluster })
      const dir = settings.dataDir
      ensureDataDir(dir)
      const existed = existsSync(join(dir, DATA_FILES.key))
      const { createIdentity } = await import('../../net/identity.ts')
      const identity = await createIdentity(dir, { force: opts.force === true })
      createToken(dir, { force: opts.force === true })
      createClientKey(dir, { force: opts.force === true })
      const vrfKey = createVrfKey(dir, { force: opts.force === true })
      const configPath = join(dir, DATA_FILES.config)
      if (!existsSync(configPath) || opts.force === true) {
        writeFileSync(configPath, JSON.stringify({ version: 1, cluster: settings.cluster, logLevel: 'info', admin: '127.0.0.1:7401' }, null, 2) + '\n')
      }
      const result = { dataDir: dir, cluster: settings.cluster, peerId: identity.peerId, publicKey: identity.publicKey, vrfPublicKey: vrfKey.publicKey, created: !existed || opts.force === true }
      ctx.print(result, r => `${r.created ? 'initialized' : 'already initialized'} ${r.dataDir}\n  peer id    ${r.peerId}\n  public key ${r.publicKey}\n  vrf key    ${r.vrfPublicKey}\nnext: share \`novacron node id\` with whoever builds the genesis, then \`novacron node start --genesis FILE\``)
    })
}
