// onnxruntime-node, loaded with its telemetry off. From 1.29 the official Linux build reports usage to
// Microsoft (a one-shot ProcessInfo event, session and error events) through an uploader that keeps an
// offline SQLite cache and a device id under ~/.cache/Microsoft, shared by every process of the host. A
// cluster node sends nothing beyond its peers and writes nothing outside its data dir, so
// ORT_DISABLE_TELEMETRY=1 (onnxruntime's full opt-out) is set before the runtime initialises, unless the
// operator set it. It must be in the process environment itself: onnxruntime reads it with getenv, and a
// worker thread's process.env is a private copy, so the thread that starts the inference worker sets it
// first (registry.ts imports this module for that). Import onnxruntime through here, never directly.
import './ort-env.ts'
import ort from 'onnxruntime-node'

export default ort
