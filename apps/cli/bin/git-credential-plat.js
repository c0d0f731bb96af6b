#!/usr/bin/env node
// git's credential helper for Plat remotes configured while PLAT_TOKEN was
// set (and by earlier versions of plat): it answers with PLAT_TOKEN, or the
// login's token, at each push. Other remotes use git's credential store.
import { credentialHelper } from '../dist/git-credential.js';

process.exitCode = await credentialHelper(process.argv[2] ?? '');
