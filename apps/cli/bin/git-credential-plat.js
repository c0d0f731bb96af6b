#!/usr/bin/env node
// git's credential helper for Plat remotes: `plat apps:create` and
// `plat git:remote` configure it, so `git push platform main` asks no password.
import { credentialHelper } from '../dist/git-credential.js';

process.exitCode = await credentialHelper(process.argv[2] ?? '');
