// `novacron vrf prove|verify`: the node's ECVRF (RFC 9381, ECVRF-EDWARDS25519-SHA512-TAI) from outside, so the
// RFC's test vectors, and any ProBFT vote's sample proof, can be checked by hand or by another implementation.
import { join } from 'node:path'
import type { Register } from '../main.ts'
import { failure, usageError } from '../../config/errors.ts'
import { DATA_FILES } from '../../node/data-dir.ts'

function hexArg (flag: string, value: string, bytes?: number): Uint8Array {
  const hex = value.startsWith('0x') ? value.slice(2) : value
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw usageError(`${flag} must be hex (an even number of 0-9a-f characters), got ${JSON.stringify(value.slice(0, 20))}`)
  if (bytes !== undefined && hex.length !== 2 * bytes) throw usageError(`${flag} must be ${bytes} bytes (${2 * bytes} hex characters), got ${hex.length / 2}`)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const SUITE_HELP = `
Suite: ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5.5, suite byte 0x03): edwards25519, SHA-512, try-and-increment
encode-to-curve salted with the public key, RFC 8032 nonces, a challenge over (Y, H, Gamma, U, V). A proof pi
is 80 bytes, Gamma(32) || c(16) || s(32); the output beta is 64 bytes. Verify decodes points strictly (no
non-canonical encodings), refuses small-order keys and Gamma and s >= L, and recomputes beta from pi.`

const EXAMPLE_HELP = `
Example (RFC 9381 Appendix B.3, Example 17):
  $ echo 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb > sk.hex
  $ novacron vrf prove --key sk.hex --alpha 72
  $ novacron vrf verify --pk 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c --alpha 72 \\
      --proof f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02
  { "beta": "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031" }`

export const registerVrf: Register = (program, context) => {
  const vrf = program.command('vrf').description('prove and verify with the ECVRF of RFC 9381 (the VRF ProBFT samples its votes with)')
    .addHelpText('after', SUITE_HELP + '\n' + EXAMPLE_HELP)

  vrf.command('prove')
    .description('prove alpha with a VRF secret key: prints { proof, beta, publicKey } (hex)')
    .option('--key <file>', 'the key: a vrf.key file (what `init` writes, JSON, mode 0600) or a file holding just the 32-byte secret seed as 64 hex characters (default: <data-dir>/vrf.key)')
    .requiredOption('--alpha <hex>', 'the input, hex ("" for the empty string)')
    .addHelpText('after', SUITE_HELP + '\n' + EXAMPLE_HELP)
    .action(async (opts: { key?: string, alpha: string }) => {
      const ctx = context()
      const alpha = hexArg('--alpha', opts.alpha)
      const { readVrfKeyFile } = await import('../../node/vrf-key.ts')
      const path = opts.key ?? join(ctx.settings().dataDir, DATA_FILES.vrfKey)
      const key = readVrfKeyFile(path)
      const { ecvrf } = await import('../../crypto/vrf.ts')
      const { proof, beta } = ecvrf(key.secretKey).prove(alpha)
      ctx.print({ proof: toHex(proof), beta: toHex(beta), publicKey: key.publicKey })
    })

  vrf.command('verify')
    .description('verify a proof: prints { beta } (hex) when valid; exit 1 with the reason on stderr when not')
    .requiredOption('--pk <hex>', "the prover's VRF public key (32 bytes; genesis names it vrfPublicKey)")
    .requiredOption('--alpha <hex>', 'the input, hex ("" for the empty string)')
    .requiredOption('--proof <hex>', 'pi, 80 bytes')
    .addHelpText('after', SUITE_HELP + '\n\nExit 0 with { beta } for a valid proof; 1 for an invalid one; 2 for malformed flags.\n' + EXAMPLE_HELP)
    .action(async (opts: { pk: string, alpha: string, proof: string }) => {
      const ctx = context()
      const pk = hexArg('--pk', opts.pk)
      const alpha = hexArg('--alpha', opts.alpha)
      const proof = hexArg('--proof', opts.proof)
      const { VRF_PROOF_BYTES, VRF_PUBLIC_KEY_BYTES, isValidVrfPublicKey, vrfProofToHash, vrfVerify } = await import('../../crypto/vrf.ts')
      const beta = vrfVerify(pk, alpha, proof)
      if (beta !== null) {
        ctx.print({ beta: toHex(beta) })
        return
      }
      // Why, for the one stderr line: the first check that fails, in the order verify applies them.
      let reason: string
      if (pk.length !== VRF_PUBLIC_KEY_BYTES) reason = `the public key is ${pk.length} bytes, not ${VRF_PUBLIC_KEY_BYTES}`
      else if (!isValidVrfPublicKey(pk)) reason = 'the public key is not a valid ECVRF key (not a canonical edwards25519 point, or of small order)'
      else if (proof.length !== VRF_PROOF_BYTES) reason = `the proof is ${proof.length} bytes, not ${VRF_PROOF_BYTES}`
      else {
        try {
          vrfProofToHash(proof)
          reason = 'the proof does not verify for this public key and alpha (challenge mismatch)'
        } catch {
          reason = 'the proof does not decode (Gamma is not a canonical point of large order, or s >= L)'
        }
      }
      throw failure(`invalid VRF proof: ${reason}`)
    })
}
