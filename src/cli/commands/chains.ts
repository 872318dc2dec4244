// `chainport chains`
import type { Command } from 'commander';
import pc from 'picocolors';
import { createClient, printJson, type GlobalOptions } from '../context.js';

export function registerChains(program: Command): void {
  program
    .command('chains')
    .description('the chains you may run: versions, agents, availability')
    .action(async (_flags: unknown, command: Command) => {
      const chains = await createClient().chains();
      if (command.optsWithGlobals<GlobalOptions>().json) return chains.forEach(printJson);
      for (const chain of chains) {
        const availability = chain.available ? '' : pc.yellow(`  unavailable: ${chain.unavailable_reason ?? 'unknown'}`);
        process.stdout.write(`${pc.bold(`${chain.name}@${chain.version}`)}  ${chain.description}${availability}\n`);
        process.stdout.write(pc.dim(`  agents: ${chain.agents.join(' → ')}   versions: ${chain.versions.join(', ')}\n`));
      }
    });
}
