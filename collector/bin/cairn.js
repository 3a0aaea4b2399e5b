#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npm install && npm start` needs no build step.
import { register } from 'tsx/esm/api'

// Everything Cairn writes (the engine's data, salts, the spool, password hashes) is for its own user only.
process.umask(0o077)
register()
await import('../host/cli/main.ts')
