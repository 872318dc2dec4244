// `npm run temporal:install`: finds or builds the Temporal CLI ahead of `npm start` / `npm test`.
import { loadConfig } from '../config.js';
import { resolveTemporalCli } from './cli.js';

const config = loadConfig();
const binary = await resolveTemporalCli({ explicitPath: config.temporal.cliPath });
console.log(`Temporal CLI ready: ${binary}`);
