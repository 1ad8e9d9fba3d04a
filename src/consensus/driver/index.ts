export { Driver } from './driver.ts'
export type { DriverOptions } from './driver.ts'
export { CountingMetrics } from './counting-metrics.ts'
export * from './interfaces.ts'
