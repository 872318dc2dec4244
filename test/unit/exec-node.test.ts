// The long-lived entries (`npm start`, `npm run worker`, `npm run api`, `npm run cluster`) start
// as `exec sh scripts/exec-node.sh`: the service must be the process npm started (its shell and the
// script's each exec the next), on a supported Node, with no parent waiting beside it for its lifetime.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

describe('scripts/exec-node.sh', () => {
  it('replaces itself with a supported Node: the shell it ran in is the service process', () => {
    const printed = execFileSync('sh', ['-c', 'echo $$; exec sh scripts/exec-node.sh -e "console.log(process.pid, process.version, process.env.MALLOC_MMAP_THRESHOLD_)"'], { encoding: 'utf8' });
    const [shellPid, line] = printed.trim().split('\n');
    const [nodePid, version, mmapThreshold] = line!.split(' ');
    assert.equal(nodePid, shellPid, 'the Node process took over the shell process (exec), no parent waits');
    const supported = execFileSync('node', ['scripts/supported-node.mjs'], { encoding: 'utf8' }).trim();
    assert.equal(version, execFileSync(supported, ['--version'], { encoding: 'utf8' }).trim(), `it runs the supported Node, ${supported}`);
    assert.equal(mmapThreshold, '131072');
  });

  it('leaves an mmap threshold set in the environment as it is', () => {
    const threshold = execFileSync('sh', ['scripts/exec-node.sh', '-p', 'process.env.MALLOC_MMAP_THRESHOLD_'], { encoding: 'utf8', env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' } });
    assert.equal(threshold.trim(), '65536');
  });

  it('is how package.json starts every long-lived entry', () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['start', 'worker', 'api', 'cluster']) assert.match(scripts[name]!, /^exec sh scripts\/exec-node\.sh /, `npm run ${name}`);
  });
});
