import { watch } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { ensureError } from '../errors.js';
import type { Logger } from '../logger.js';
import { loadCallers, type CallerRegistry } from './callers.js';

/** Editors save in bursts (truncate, write, rename); one reload follows the last event of a burst. */
const SETTLE_MS = 100;

/**
 * Reloads the callers when CHAINPORT_CALLERS_FILE changes or the process gets SIGHUP, so a revoked key
 * stops working without a restart. A file that does not load (bad YAML, a bad entry, a duplicate key)
 * changes nothing: the callers in force stay and the error is logged. Returns the function that stops it.
 */
export function reloadCallersOnChange(config: Config, registry: CallerRegistry, log: Logger): () => void {
  const file = config.api.callersFile;
  if (!file) return () => undefined;
  let pending: NodeJS.Timeout | undefined;
  const reload = (reason: string) => {
    try {
      const callers = loadCallers(config);
      registry.replace(callers);
      log.info({ callers: callers.length, reason }, 'callers reloaded');
    } catch (err) {
      log.error({ err: ensureError(err), reason }, 'callers not reloaded: the file does not load, the previous callers stay in force');
    }
  };
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => reload('file changed'), SETTLE_MS);
  };
  // The folder is watched, not the file: saving by rename replaces the file a file watch would follow.
  const watcher = watch(path.dirname(path.resolve(file)), (_event, name) => {
    if (name === path.basename(file)) soon();
  });
  const onHangUp = () => reload('SIGHUP');
  process.on('SIGHUP', onHangUp);
  return () => {
    clearTimeout(pending);
    watcher.close();
    process.off('SIGHUP', onHangUp);
  };
}
