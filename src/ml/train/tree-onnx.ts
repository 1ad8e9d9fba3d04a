// Exports a GbdtModel as ai.onnx.ml tree ensembles. Binary models are a TreeEnsembleRegressor followed by
// Sigmoid rather than a TreeEnsembleClassifier, because onnxruntime's two-class classifier labels every row
// 1; multi-class models are a TreeEnsembleClassifier with softmax probabilities.
import type { GbdtModel } from './gbdt.ts'
import { encodeModel, type GraphNode, type ValueInfo } from '../onnx/builder.ts'

interface Flat {
  treeIds: number[]
  nodeIds: number[]
  featureIds: number[]
  values: number[]
  modes: string[]
  trueIds: number[]
  falseIds: number[]
  leafTree: number[]
  leafNode: number[]
  leafTarget: number[]
  leafWeight: number[]
}

function flatten (model: GbdtModel): Flat {
  const f: Flat = { treeIds: [], nodeIds: [], featureIds: [], values: [], modes: [], trueIds: [], falseIds: [], leafTree: [], leafNode: [], leafTarget: [], leafWeight: [] }
  model.trees.forEach((t, ti) => {
    for (let i = 0; i < t.feature.length; i++) {
      const leaf = t.feature[i] < 0
      f.treeIds.push(ti)
      f.nodeIds.push(i)
      f.featureIds.push(leaf ? 0 : t.feature[i])
      f.values.push(leaf ? 0 : t.threshold[i])
      f.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ')
      f.trueIds.push(leaf ? 0 : t.left[i])
      f.falseIds.push(leaf ? 0 : t.right[i])
      if (leaf) {
        f.leafTree.push(ti)
        f.leafNode.push(i)
        f.leafTarget.push(t.target)
        f.leafWeight.push(t.value[i])
      }
    }
  })
  return f
}

function nodeAttrs (f: Flat): GraphNode['attrs'] {
  return {
    nodes_treeids: { ints: f.treeIds },
    nodes_nodeids: { ints: f.nodeIds },
    nodes_featureids: { ints: f.featureIds },
    nodes_values: { floats: f.values },
    nodes_modes: { strings: f.modes },
    nodes_truenodeids: { ints: f.trueIds },
    nodes_falsenodeids: { ints: f.falseIds },
    nodes_missing_value_tracks_true: { ints: f.modes.map(() => 0) }
  }
}

export interface TreeExport {
  name: string
  doc: string
  input: string
  output: string
  metadata?: Record<string, string>
}

/** logistic -> [N,1] probability; squared -> [N,1] value (optionally exponentiated when trained on logs). */
export function exportRegressor (model: GbdtModel, opts: TreeExport & { expOutput?: boolean }): Uint8Array {
  const f = flatten(model)
  const raw = model.loss === 'logistic' || opts.expOutput === true ? 'score' : opts.output
  const nodes: GraphNode[] = [{
    op: 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    inputs: [opts.input],
    outputs: [raw],
    attrs: {
      ...nodeAttrs(f),
      n_targets: { i: 1 },
      target_treeids: { ints: f.leafTree },
      target_nodeids: { ints: f.leafNode },
      target_ids: { ints: f.leafTarget },
      target_weights: { floats: f.leafWeight },
      base_values: { floats: model.base },
      aggregate_function: { s: 'SUM' },
      post_transform: { s: 'NONE' }
    }
  }]
  if (model.loss === 'logistic') nodes.push({ op: 'Sigmoid', inputs: [raw], outputs: [opts.output] })
  else if (opts.expOutput === true) nodes.push({ op: 'Exp', inputs: [raw], outputs: [opts.output] })
  const inputs: ValueInfo[] = [{ name: opts.input, shape: ['N', model.features] }]
  return encodeModel({ name: opts.name, doc: opts.doc, inputs, outputs: [{ name: opts.output, shape: ['N', 1] }], nodes, usesMl: true, metadata: opts.metadata })
}

/** softmax -> label [N] (int64) and probabilities [N,K]. */
export function exportClassifier (model: GbdtModel, opts: TreeExport & { labelOutput: string }): Uint8Array {
  const f = flatten(model)
  const K = model.classes
  const nodes: GraphNode[] = [{
    op: 'TreeEnsembleClassifier',
    domain: 'ai.onnx.ml',
    inputs: [opts.input],
    outputs: [opts.labelOutput, opts.output],
    attrs: {
      ...nodeAttrs(f),
      class_treeids: { ints: f.leafTree },
      class_nodeids: { ints: f.leafNode },
      class_ids: { ints: f.leafTarget },
      class_weights: { floats: f.leafWeight },
      classlabels_int64s: { ints: Array.from({ length: K }, (_, k) => k) },
      base_values: { floats: model.base },
      post_transform: { s: 'SOFTMAX' }
    }
  }]
  return encodeModel({
    name: opts.name,
    doc: opts.doc,
    inputs: [{ name: opts.input, shape: ['N', model.features] }],
    outputs: [{ name: opts.labelOutput, shape: ['N'], type: 'int64' }, { name: opts.output, shape: ['N', K] }],
    nodes,
    usesMl: true,
    metadata: opts.metadata
  })
}
