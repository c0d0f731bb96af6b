#!/usr/bin/env node
// The bundle `npm run build` makes from dist/main.js (see ../build.mjs): one module to load, not hundreds.
import { main } from '../dist/plat.bundle.js';

process.exitCode = await main(process.argv);
