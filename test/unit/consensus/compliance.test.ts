// Runs the protocol compliance suite (compliance/protocol.ts) once for every module in the registry.
import { PROTOCOL_MODULES } from '../../../src/consensus/registry.ts'
import { protocolCompliance } from './compliance/protocol.ts'

for (const m of PROTOCOL_MODULES) protocolCompliance(m)
