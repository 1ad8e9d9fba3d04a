// The exit-code table of CLI.md, in one place. Every command maps its failures onto these.
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  unreachable: 4,
  commitTimeout: 5,
  unauthorized: 6,
  interrupted: 130,
  terminated: 143
} as const

export type ExitCodeName = keyof typeof ExitCode
