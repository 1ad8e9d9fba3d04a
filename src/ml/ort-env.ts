// Side effect only, evaluated before onnxruntime-node (ort.ts imports it first): see ort.ts for why.
export const ORT_TELEMETRY_ENV = 'ORT_DISABLE_TELEMETRY'
if (process.env[ORT_TELEMETRY_ENV] === undefined) process.env[ORT_TELEMETRY_ENV] = '1'
