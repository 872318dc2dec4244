// `npm start` and `npm test` run through here: `node scripts/node.mjs <file.ts | node args…>` runs
// TypeScript through tsx on a supported Node (see supported-node.mjs). With NODE_ENV=production a lone
// `src/<x>.ts` entry runs its compiled `dist/<x>.js` (`npm run build`) instead, without tsx, which a
// production install (`npm ci --omit=dev`) does not have. On this process's own Node a
// lone entry file is imported in place; otherwise the arguments run in a child Node with that Node
// first on PATH, so everything the child starts uses it too. The long-lived entries (`npm start`,
// `npm run worker`, …) reach here through scripts/exec-node.sh, already on a supported Node, so they
// always run in place: no waiting parent process.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { supportedNode } from './supported-node.mjs';

const args = process.argv.slice(2);
const node = supportedNode();
const compiled = process.env.NODE_ENV === 'production' && args.length === 1 ? compiledEntry(args[0]) : undefined;

/** `src/api/server.ts` → `dist/api/server.js`, if built. */
function compiledEntry(entry) {
  const relative = path.relative(path.resolve('src'), path.resolve(entry));
  if (relative.startsWith('..') || !relative.endsWith('.ts')) return undefined;
  const built = path.resolve('dist', relative.replace(/\.ts$/, '.js'));
  return existsSync(built) ? built : undefined;
}

if (compiled) {
  if (node !== process.execPath) throw new Error(`NODE_ENV=production runs ${compiled} on this Node (${process.version}); Chainport needs 22.12 or newer`);
  process.argv.splice(1, 2, compiled);
  await import(pathToFileURL(compiled).href);
} else if (node === process.execPath && args.length === 1 && args[0].endsWith('.ts')) {
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
