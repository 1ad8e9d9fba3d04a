export * from './hash.ts'
export * from './ed25519.ts'
export * from './signer.ts'
export * from './domain.ts'
