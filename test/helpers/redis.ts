import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stopProcess } from '../../src/temporal/dev-server.js';
import { freePort } from './ports.js';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * A throwaway redis-server on a free port of 127.0.0.1, persisting nothing. A missing redis-server
 * fails the suite with what to install: Redis suites must not pass by skipping.
 */
export async function startTestRedis(): Promise<TestRedis> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed; this suite needs it: apt-get install -y --no-install-recommends redis-server');
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${lines.join('\n')}`)), 10_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (code ${code}) before it was ready:\n${lines.join('\n')}`));
    });
  });
  const stop = () => stopProcess(child, 5_000);
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
