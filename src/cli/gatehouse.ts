#!/usr/bin/env node
/*
 * The `gatehouse` bin and `npm start`. It only checks the Node.js version, then loads the CLI:
 * the CLI's own imports (node:sqlite among them) fail on an older Node before any code of it
 * could say why.
 */
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`gatehouse: ${problem}\n`);
  process.exit(1);
}
await import('./main.js');
