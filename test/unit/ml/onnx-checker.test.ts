// An independent check of the ONNX files we write by hand: Debian's python3-onnx (`onnx.checker`, full
// shape inference). Skips with a reason where it is not installed (apt-get install python3-onnx).
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { DEFAULT_MODELS_DIR, readManifest } from '../../../src/ml/manifest.ts'

const PYTHON = '/usr/bin/python3'
const probe = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' })
const skip = probe.status === 0 ? false : 'python3-onnx is not installed (apt-get install python3-onnx): onnx.checker not run'
if (skip !== false) console.log(`# skip: ${skip}`)

const files = Object.values(readManifest().models).map(e => join(DEFAULT_MODELS_DIR, e.file))

it('every shipped ONNX file passes onnx.checker (full check)', { skip }, () => {
  const script = 'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print("ok", p)'
  const r = spawnSync(PYTHON, ['-c', script, ...files], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim().split('\n').length, files.length)
})
