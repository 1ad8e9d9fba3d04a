// The node's persistent Ed25519 identity. One key signs for libp2p and for consensus, so it lives in the
// data dir with mode 0600 and a restarted node keeps its peer id.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { NovacronError } from '../config/errors.ts'

export const KEY_FILE = 'node.key'
const KEY_FILE_VERSION = 1

export interface NodeIdentity {
  privateKey: PrivateKey
  peerId: string
  /** Raw 32-byte Ed25519 public key, hex (as written in genesis). */
  publicKey: string
  /** Raw 64-byte Ed25519 private key (seed || public key), for the consensus signer. */
  rawPrivateKey: Uint8Array
}

function toIdentity (privateKey: PrivateKey): NodeIdentity {
  return {
    privateKey,
    peerId: peerIdFromPrivateKey(privateKey).toString(),
    publicKey: Buffer.from(privateKey.publicKey.raw).toString('hex'),
    rawPrivateKey: privateKey.raw
  }
}

export async function createIdentity (dataDir: string, { force = false } = {}): Promise<NodeIdentity> {
  const path = join(dataDir, KEY_FILE)
  if (existsSync(path) && !force) return loadIdentity(dataDir)
  const key = await generateKeyPair('Ed25519')
  const body = JSON.stringify({ version: KEY_FILE_VERSION, type: 'Ed25519', privateKey: Buffer.from(key.raw).toString('base64') }) + '\n'
  writeFileSync(path, body, { mode: 0o600 })
  chmodSync(path, 0o600)
  return toIdentity(key)
}

export function loadIdentity (dataDir: string): NodeIdentity {
  return identityFromKeyFile(join(dataDir, KEY_FILE), dataDir)
}

/** The identity in a node.key file anywhere (a restore reuses a lost node's key from the operator's store). */
export function identityFromKeyFile (path: string, dataDir = '<data-dir>'): NodeIdentity {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NovacronError('config', `no node key at ${path}: run \`novacron init --data-dir ${dataDir}\` first`)
    throw new NovacronError('config', `cannot read node key ${path}: ${code ?? String(err)}`)
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new NovacronError('config', `node key ${path} is readable by others; run \`chmod 600 ${path}\``)
  let parsed: { version?: unknown, type?: unknown, privateKey?: unknown }
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new NovacronError('config', `node key ${path} is not valid JSON`)
  }
  if (parsed.version !== KEY_FILE_VERSION || parsed.type !== 'Ed25519' || typeof parsed.privateKey !== 'string') {
    throw new NovacronError('config', `node key ${path} has an unsupported format (want version ${KEY_FILE_VERSION}, type Ed25519)`)
  }
  const raw = Buffer.from(parsed.privateKey, 'base64')
  if (raw.length !== 64) throw new NovacronError('config', `node key ${path} is damaged (expected 64 key bytes, found ${raw.length})`)
  return toIdentity(privateKeyFromRaw(raw))
}
