// The `chainport` command: the typed client (src/client) behind commander. Exit codes: 0 the run
// completed (or the command succeeded), 1 the run did not complete (or a rerun batch could not re-run
// some run), 2 usage error, 3 API, auth or network error, 130 detached with Ctrl-C.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerChains } from './commands/chains.js';
import { registerRerun } from './commands/rerun.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerWebhooks } from './commands/webhooks.js';
import { report } from './failures.js';

/** The program, its commands registered; errors reach the caller instead of exiting. */
function createProgram(): Command {
  const program = new Command('chainport')
    .description('Run Chainport chains and follow their runs from a terminal.\nEnv: CHAINPORT_URL (default http://127.0.0.1:3000), CHAINPORT_API_KEY (default: the dev key in $CHAINPORT_DATA_DIR/dev-api-key).')
    .version(VERSION)
    .option('--json', 'machine-readable output: one JSON object per line')
    .showHelpAfterError()
    // Inherited by the commands added below, so their usage errors come back as CommanderError (exit 2).
    .exitOverride();
  registerChains(program);
  registerRun(program);
  registerRerun(program);
  registerRuns(program);
  registerWebhooks(program);
  return program;
}

/** Runs the command line and answers the exit code. */
async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return report(err);
  }
}

process.exitCode = await main();
