// `npm start` and `npm test` run through here: `node scripts/node.mjs <file.ts | node args…>` runs
// TypeScript through tsx on a supported Node (see supported-node.mjs). On this process's own Node a
// lone entry file is imported in place, so `npm start` costs no extra process; otherwise the arguments
// run in a child Node with that Node first on PATH, so everything the child starts uses it too.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { supportedNode } from './supported-node.mjs';

const args = process.argv.slice(2);
const node = supportedNode();

if (node === process.execPath && args.length === 1 && args[0].endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
  // The entry sees the argv it would see run directly (`node entry.ts …`): argv[1] is itself.
  const entry = path.resolve(args[0]);
  process.argv.splice(1, 2, entry);
  await import(pathToFileURL(entry).href);
} else {
  // This process's own Node flags (package.json's scripts set some) carry over to the child.
  const child = spawn(node, [...process.execArgv, '--import', 'tsx', ...args], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` },
  });
  // The child owns shutdown: pass the signals on and leave with its exit status.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
