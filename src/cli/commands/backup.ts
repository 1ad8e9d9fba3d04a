// `novacron backup create|verify|restore`: a consistent snapshot of a running node in one file (taken
// through its admin API without stopping it), an offline check of such a file, and seeding a new or
// replaced host's data dir from it, which then catches up from the cluster.
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Register } from '../main.ts'
import { NovacronError, failure, usageError } from '../../config/errors.ts'
import { DATA_FILES, createToken, ensureDataDir, runningNodePid, writePrivateFile } from '../../node/data-dir.ts'
import { withProgress } from '../progress.ts'
import type { BackupFile, BackupSummary } from '../../node/backup.ts'
import type { StatusJson } from '../../api/types.ts'

function readBackup (file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new NovacronError(code === 'ENOENT' ? 'usage' : 'failure', code != null ? `cannot read ${file}: ${code}` : `${file} is not a backup (not JSON)`)
  }
}

const renderSummary = (s: BackupSummary & { file?: string }): string =>
  `${s.file != null ? `${s.file}\n` : ''}  cluster   ${s.cluster} (${s.protocol}), genesis ${s.genesisHash.slice(0, 16)}\n  node      ${s.nodeId}\n` +
  `  height    ${s.height}, state root ${s.stateRoot.slice(0, 16)}\n  contents  snapshot at ${s.snapshotHeight} + ${s.logBatches} logged batches\n` +
  `  certified ${s.certified == null ? 'none yet' : `height ${s.certified.height}, root ${s.certified.stateRoot.slice(0, 16)}`}`

export const registerBackup: Register = (program, context) => {
  const backup = program.command('backup')

  backup.command('create')
    .description('write a consistent backup of the running node (state, log since its checkpoint, genesis, certified root) without stopping it')
    .option('--out <file>', 'where to write it (default: novacron-backup-<cluster>-<height>.json here)')
    .addHelpText('after', `
The file (mode 0600) holds no private key. Restore it with \`novacron backup restore\`.

Example:
  $ novacron backup create --data-dir /var/lib/novacron --out /backups/prod-$(date +%F).json
  $ novacron backup create --node http://10.0.0.1:7401 --token-file prod.token --json`)
    .action(async (opts: { out?: string }) => {
      const ctx = context()
      const client = ctx.client()
      const text = await withProgress(ctx, `taking a backup of ${client.url}`, async () => await client.request<string>('GET', '/v1/backup', undefined, 'text', 300_000))
      const { verifyBackup } = await import('../../node/backup.ts')
      // Checked before it is written: a backup that does not verify is no backup.
      const { summary } = verifyBackup(JSON.parse(text))
      const out = resolve(opts.out ?? `novacron-backup-${summary.cluster}-${summary.height}.json`)
      writePrivateFile(out + '.tmp', text)
      renameSync(out + '.tmp', out)
      ctx.print({ file: out, bytes: Buffer.byteLength(text), ...summary }, r => `wrote a backup of height ${r.height} (${(r.bytes / 1e6).toFixed(1)} MB):\n${renderSummary(r)}`)
    })

  backup.command('verify')
    .description('check a backup offline: checksum, genesis, snapshot root, and every logged batch replayed to the head it names')
    .argument('<file>')
    .option('--against-node', 'also check that the node of --node / --context / --data-dir committed the same root at that height')
    .addHelpText('after', `
Exit 0 when it verifies, 1 when it does not (the reason on stderr).

Example:
  $ novacron backup verify /backups/prod-2026-12-01.json
  $ novacron backup verify b.json --against-node --node http://10.0.0.1:7401 --token-file prod.token --json`)
    .action(async (file: string, opts: { againstNode?: boolean }) => {
      const ctx = context()
      const { verifyBackup } = await import('../../node/backup.ts')
      const { summary } = await withProgress(ctx, `verifying ${file}`, async () => verifyBackup(readBackup(file)))
      let againstNode: { url: string, height: number, stateRoot: string | null, matches: boolean | null } | null = null
      if (opts.againstNode === true) {
        const client = ctx.client()
        const rows = await client.request<Array<{ height: number, stateRoot: string }>>('GET', `/v1/log?from=${summary.height}&limit=1`)
        const row = rows.find(r => r.height === summary.height)
        againstNode = { url: client.url, height: summary.height, stateRoot: row?.stateRoot ?? null, matches: row == null ? null : row.stateRoot === summary.stateRoot }
        if (againstNode.matches === false) throw failure(`the node committed root ${String(row?.stateRoot).slice(0, 16)} at height ${summary.height}, the backup has ${summary.stateRoot.slice(0, 16)}`)
      }
      const checked = againstNode
      ctx.print({ file: resolve(file), ok: true, ...summary, againstNode }, r => `ok: ${renderSummary(r)}${checked == null ? '' : `\n  node      ${checked.matches === true ? 'committed the same root at that height' : 'no longer holds that height in its log (pruned)'}`}`)
    })

  backup.command('restore')
    .description('seed a new or replaced host\'s data dir from a backup; started, the node catches up from the cluster')
    .argument('<file>')
    .option('--key <file>', 'the node.key of the validator this host replaces (default: the data dir\'s own key, or a new one)')
    .option('--vrf-key <file>', 'the vrf.key of that validator, when the genesis names its VRF key (ProBFT)')
    .option('--old-wal-gone', 'state that the old node\'s data dir (its consensus WAL) is lost and it will never run again: needed to reuse its key')
    .addHelpText('after', `
A validator's key may be reused only by one node at a time, and never by one that forgot what it signed:
a restored node starts with an empty consensus WAL, so with the old node's key it could sign the opposite
of what the old node signed. Restore therefore refuses a validator key unless --old-wal-gone is given AND
a live node of the cluster (--node URL with --token-file, or --context) shows that the old node is not
connected and that the cluster has moved past every height (PBFT: the backup's head + 4 checkpoint
intervals) and round (Bullshark: + 2 gc depths) the old node could have signed as of the backup. If the
old node kept running long after the backup, take a fresh backup from another validator instead.
Without a validator key the host gets a new identity, which the genesis does not list: an observer.

Example:
  $ novacron backup restore /backups/prod.json --data-dir /var/lib/novacron --key /secrets/node-3.key \\
      --old-wal-gone --node http://10.0.0.1:7401 --token-file prod.token
  $ novacron node start --data-dir /var/lib/novacron`)
    .action(async (file: string, opts: { key?: string, vrfKey?: string, oldWalGone?: boolean }) => {
      const ctx = context()
      if (ctx.flags.dataDir == null) throw usageError('backup restore needs --data-dir DIR (the data dir to seed)')
      const s = ctx.settings()
      const dataDir = s.dataDir
      const { verifyBackup, restoreInto, signingBound } = await import('../../node/backup.ts')
      const verified = verifyBackup(readBackup(file))
      const backupFile: BackupFile = verified.file
      ensureDataDir(dataDir)
      if (runningNodePid(dataDir) != null) throw failure(`a node is running with data dir ${dataDir}: stop it first`)
      if (existsSync(join(dataDir, 'state.db'))) throw new NovacronError('config', `data dir ${dataDir} already holds state: restore into a new or emptied data dir`)
      const { loadIdentity, createIdentity, identityFromKeyFile } = await import('../../net/identity.ts')
      const ownKey = join(dataDir, DATA_FILES.key)
      if (opts.key != null && existsSync(ownKey)) throw usageError(`${dataDir} already has a node.key: drop --key, or restore into a data dir without one`)
      const identity = opts.key != null ? identityFromKeyFile(resolve(opts.key)) : existsSync(ownKey) ? loadIdentity(dataDir) : null
      const validator = identity != null && backupFile.genesis.validators.some(v => v.peerId === identity.peerId)
      // A validator whose genesis entry names a VRF key needs that key's secret half too, or it cannot vote.
      const { VRF_KEY_FILE, readVrfKeyFile } = await import('../../node/vrf-key.ts')
      const ownVrfKey = join(dataDir, VRF_KEY_FILE)
      const vrfPublicKey = validator ? backupFile.genesis.validators.find(v => v.peerId === identity.peerId)?.vrfPublicKey : undefined
      const givenVrf = opts.vrfKey != null ? readVrfKeyFile(resolve(opts.vrfKey)) : null
      if (opts.vrfKey != null && existsSync(ownVrfKey)) throw usageError(`${dataDir} already has a vrf.key: drop --vrf-key, or restore into a data dir without one`)
      if (vrfPublicKey != null) {
        const present = givenVrf ?? (existsSync(ownVrfKey) ? readVrfKeyFile(ownVrfKey, dataDir) : null)
        if (present == null) throw usageError(`the genesis names a VRF key for validator ${identity?.peerId ?? ''}: give its vrf.key with --vrf-key FILE`)
        if (present.publicKey !== vrfPublicKey.toLowerCase()) throw usageError(`the vrf.key given is ${present.publicKey.slice(0, 16)}…, the genesis names ${vrfPublicKey.slice(0, 16)}… for this validator`)
      }
      if (validator) {
        if (identity.peerId !== backupFile.nodeId) process.stderr.write(`novacron: note: the key is validator ${identity.peerId.slice(-8)}'s, the backup was taken from ${backupFile.nodeId.slice(-8)} (the state is the same cluster's)\n`)
        if (opts.oldWalGone !== true) throw usageError(`the key is validator ${identity.peerId}'s: reusing it needs --old-wal-gone (see --help: a node that forgot what it signed must not sign with the same key)`)
        if (s.node == null) throw usageError('--old-wal-gone needs a live node of the cluster to check against: --node URL (and --token-file) or --context')
        const live = await ctx.client().status() as StatusJson & { round: number | null }
        const bound = signingBound(backupFile)
        const old = live.peers.find(p => p.id === identity.peerId)
        if (live.nodeId === identity.peerId || old?.connected === true) throw failure(`validator ${identity.peerId} is still connected to the cluster: stop it before reusing its key`)
        if (live.height <= bound.height) throw failure(`the cluster is at height ${live.height}; the old node may have signed up to height ${bound.height} as of the backup: restore once the cluster has passed it`)
        if (bound.round != null && (live.round ?? 0) <= bound.round) throw failure(`the cluster is at round ${String(live.round)}; the old node may have voted up to round ${bound.round}: restore once the cluster has passed it`)
      }
      const restored = await withProgress(ctx, `restoring height ${backupFile.height} into ${dataDir}`, async () => await restoreInto(dataDir, verified))
      if (opts.key != null) writePrivateFile(ownKey, readFileSync(resolve(opts.key), 'utf8'))
      if (opts.vrfKey != null) writePrivateFile(ownVrfKey, readFileSync(resolve(opts.vrfKey), 'utf8'))
      const nodeId = identity?.peerId ?? (await createIdentity(dataDir)).peerId
      createToken(dataDir)
      const result = { dataDir, nodeId, role: validator ? 'validator' : 'observer', reusedKey: validator, height: restored.height, stateRoot: restored.stateRoot, cluster: backupFile.cluster, from: backupFile.nodeId }
      ctx.print(result, r => `restored ${r.cluster} at height ${r.height} into ${r.dataDir} as ${r.role} ${r.nodeId}\nnext: novacron node start --data-dir ${r.dataDir}   (it catches up from the cluster)`)
    })
}
