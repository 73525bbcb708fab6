// Prints the suite's closing line in the plain form CI reads: "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const results = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
