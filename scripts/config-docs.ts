// Regenerates .env.example and the README's configuration table from src/config/variables.ts.
// Run after adding a variable: npm run docs:config
import { readFileSync, writeFileSync } from 'node:fs';
import { envExample, withConfigTable } from '../src/config/docs.js';

writeFileSync('.env.example', envExample());
writeFileSync('README.md', withConfigTable(readFileSync('README.md', 'utf8')));
console.log('updated .env.example and README.md');
