#!/usr/bin/env node
// git's credential helper for Plat remotes that earlier versions of plat
// configured (now git's own credential store holds the token, see
// git-credentials.ts): such repos name this file in their config.
import { credentialHelper } from '../dist/git-credential.js';

process.exitCode = await credentialHelper(process.argv[2] ?? '');
