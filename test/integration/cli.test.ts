import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { Chainport, verifyWebhook, type Delivery } from 'chainport/client';
import { CALLERS } from '../helpers/api.js';
import { eventually } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

// The `chainport` CLI as a user runs it: `node bin/chainport.mjs …` in a child process against the
// real API, worker and Temporal dev server; the TTY view under a pseudo-terminal (util-linux `script`).

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/chainport.mjs');
const CHAIN_3_OUTPUT = 'third saw: second saw: one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen cli';
const scratch = mkdtempSync(path.join(os.tmpdir(), 'chainport-cli-'));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a CLI under test: this process's, with colours off. Output to a pipe has none,
 * except where CI is set (picocolors then colours for CI logs): the tests read the same text everywhere.
 */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', ...env };
}

/** Runs a program to its end (never sync: the API under test lives in this process). */
function exec(file: string, args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: scratch, env: cliEnv(env), timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a program and collects its output; `exited` resolves with the exit code. */
function launch(file: string, args: string[], env: Record<string, string>) {
  const child: ChildProcessWithoutNullStreams = spawn(file, args, { cwd: scratch, env: cliEnv(env) });
  const output = { stdout: '', stderr: '' };
  // Decoded as streams, so a character split across two reads (✔, a spinner frame) stays whole.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr.on('data', (chunk: string) => (output.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output, exited };
}

/** Each line of stdout, parsed. */
function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('chainport CLI', () => {
  const stack = useStack({ env: { CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true', CHAINPORT_WEBHOOK_MAX_ATTEMPTS: '1' } });
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const env = (key: string = CALLERS.alice) => ({ CHAINPORT_URL: stack.api.url, CHAINPORT_API_KEY: key });
  const cli = (...args: string[]) => exec(process.execPath, [BIN, ...args], env());

  it('chains --json prints one chain object per line', async () => {
    const { code, stdout } = await cli('chains', '--json');
    assert.equal(code, 0);
    const chain3 = jsonLines(stdout).find((c) => c.name === 'chain-3');
    assert.deepEqual(chain3?.agents, ['first', 'second', 'third']);
  });

  it('run --json waits for the run and prints it, exit 0', async () => {
    const { code, stdout } = await cli('run', 'chain-3', '--input', '{"topic":"cli"}', '--json');
    assert.equal(code, 0);
    const [run, ...rest] = jsonLines(stdout);
    assert.equal(rest.length, 0);
    assert.equal(run?.status, 'completed');
    assert.equal(run?.output, CHAIN_3_OUTPUT);
  });

  it('run --input @file reads the input from a file', async () => {
    writeFileSync(path.join(scratch, 'input.json'), '{"topic":"cli"}');
    const { code, stdout } = await cli('run', 'chain-3', '--input', '@input.json');
    assert.equal(code, 0);
    assert.match(stdout, /completed/);
    assert.ok(stdout.includes(CHAIN_3_OUTPUT));
  });

  it('run --async prints the run id at once; runs get shows it', async () => {
    const { code, stdout } = await cli('run', 'slow', '--async');
    assert.equal(code, 0);
    const runId = stdout.trim();
    assert.match(runId, /^run-[0-9a-z]+$/);
    const got = await cli('runs', 'get', runId, '--json');
    assert.equal(got.code, 0);
    assert.equal(jsonLines(got.stdout)[0]?.run_id, runId);

    const cancelled = await cli('runs', 'cancel', runId, '--json');
    assert.equal(cancelled.code, 0);
    const ended = await eventually(async () => {
      const run = jsonLines((await cli('runs', 'get', runId, '--json')).stdout)[0];
      return run?.status === 'running' ? undefined : run;
    });
    assert.equal(ended.status, 'cancelled');

    const again = await cli('runs', 'cancel', runId);
    assert.equal(again.code, 3, 'cancelling an ended run is an API error');
    assert.match(again.stderr, /run_ended/);

    const listed = await cli('runs', 'list', '--chain', 'slow', '--json');
    assert.equal(listed.code, 0);
    assert.ok(jsonLines(listed.stdout).some((r) => r.run_id === runId && r.status === 'cancelled'));
  });

  it('run --stream --json prints every event as a line and ends with run.completed, exit 0', async () => {
    const { code, stdout } = await cli('run', 'chain-3', '--input', '{"topic":"cli"}', '--stream', '--json');
    assert.equal(code, 0);
    const events = jsonLines(stdout);
    assert.equal(events[0]?.event, 'run.started');
    assert.equal(events.at(-1)?.event, 'run.completed');
    assert.deepEqual(Object.keys(events.at(-1)!).sort(), ['data', 'event', 'id']);
    assert.equal(events.filter((e) => e.event === 'agent.completed').length, 3);
  });

  it('a failing chain exits 1 and names the agent', async () => {
    const sync = await cli('run', 'failing');
    assert.equal(sync.code, 1);
    assert.match(sync.stdout, /agent_failed at agent broken/);

    const streamed = await cli('run', 'failing', '--stream', '--json');
    assert.equal(streamed.code, 1);
    const last = jsonLines(streamed.stdout).at(-1) as { event: string; data: { error: { agent: string } } };
    assert.equal(last.event, 'run.failed');
    assert.equal(last.data.error.agent, 'broken');
  });

  it('exits 2 on a usage error and 3 on a wrong key', async () => {
    const badJson = await cli('run', 'chain-3', '--input', '{topic');
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /--input is not JSON/);
    const rejected = await cli('run', 'chain-3', '--input', '{"topic": 7}');
    assert.equal(rejected.code, 2, 'input the chain rejects is a usage error');
    assert.match(rejected.stderr, /validation_failed/);
    assert.equal((await cli('runs', 'frobnicate')).code, 2);

    const wrongKey = await exec(process.execPath, [BIN, 'chains'], env('not-a-key-0123456789abcdef'));
    assert.equal(wrongKey.code, 3);
    assert.match(wrongKey.stderr, /unauthorized/);
  });

  it('webhooks failed --json lists a delivery that failed; webhooks verify checks a signature', async () => {
    const client = new Chainport({ baseUrl: stack.api.url, apiKey: CALLERS.alice });
    // Nothing listens on port 9 of loopback: the one allowed attempt fails.
    const { run_id } = await client.start('chain-3', { topic: 'cli' }, { webhook: { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-16-chars+' } });
    const failed = await eventually(async () => {
      const { stdout } = await cli('webhooks', 'failed', '--json');
      return (jsonLines(stdout) as unknown as Delivery[]).find((d) => d.run_id === run_id);
    });
    assert.equal(failed.status, 'failed');

    const body = '{"event":"chain.completed","run_id":"run-1","delivery_id":"run-1-wh1","attempt":1}';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v1,${createHmac('sha256', 'a-secret-of-16-chars+').update(`run-1-wh1.${timestamp}.${body}`).digest('base64')}`;
    writeFileSync(path.join(scratch, 'body.json'), body);
    writeFileSync(path.join(scratch, 'headers.json'), JSON.stringify({ 'webhook-id': 'run-1-wh1', 'webhook-timestamp': timestamp, 'webhook-signature': signature }));
    const verify = (secret: string) => cli('webhooks', 'verify', '--secret', secret, '--headers-file', 'headers.json', '--body-file', 'body.json', '--json');
    const ok = await verify('a-secret-of-16-chars+');
    assert.equal(ok.code, 0);
    assert.equal(jsonLines(ok.stdout)[0]?.run_id, 'run-1');
    const bad = await verify('another-secret-16-chars');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad_signature/);
  });

  /** `webhooks listen --json` on a free port: its URL and secret, and its output so far. */
  async function listening(...args: string[]) {
    const listener = launch(process.execPath, [BIN, 'webhooks', 'listen', '--port', '0', '--json', ...args], env());
    const ready = await eventually(async () => jsonLines(listener.output.stdout)[0], 10_000, 'listen ready');
    return { ...listener, url: ready.listening as string, secret: ready.secret as string, lines: () => jsonLines(listener.output.stdout).slice(1) };
  }

  it('webhooks listen verifies and prints the deliveries of a run started with --webhook; Ctrl-C exits 0', async () => {
    const listener = await listening();
    assert.match(listener.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(listener.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const started = await cli('run', 'chain-3', '--input', '{"topic":"cli"}', '--async', '--webhook', listener.url, '--webhook-secret', listener.secret, '--webhook-events', 'completed,agent.completed', '--json');
    assert.equal(started.code, 0, started.stderr);
    const runId = jsonLines(started.stdout)[0]?.run_id;
    const lines = await eventually(async () => (listener.lines().length === 4 ? listener.lines() : undefined), 20_000, 'four deliveries');
    for (const line of lines) {
      assert.equal(line.verified, true);
      assert.equal(line.status, 200);
      assert.equal((line.payload as { run_id: string }).run_id, runId);
    }
    assert.deepEqual(lines.map((line) => (line.payload as { event: string }).event).sort(), ['agent.completed', 'agent.completed', 'agent.completed', 'chain.completed']);
    listener.child.kill('SIGINT');
    assert.equal(await listener.exited, 0);
  });

  it('webhooks listen rejects a delivery signed with another secret (400, so Chainport records the failure)', async () => {
    const listener = await listening('--secret', 'whsec_' + Buffer.from('the listener secret, 32 bytes!!!').toString('base64'));
    try {
      const started = await cli('run', 'chain-3', '--input', '{"topic":"cli"}', '--async', '--webhook', listener.url, '--webhook-secret', 'a-secret-of-16-chars+', '--json');
      const runId = jsonLines(started.stdout)[0]?.run_id as string;
      const [line] = await eventually(async () => (listener.lines().length ? listener.lines() : undefined), 20_000, 'the delivery');
      assert.equal(line?.verified, false);
      assert.equal(line?.rejected, 'bad_signature');
      const client = new Chainport({ baseUrl: stack.api.url, apiKey: CALLERS.alice });
      const delivery = await eventually(async () => (await client.deliveries(runId)).find((d) => d.status === 'failed'));
      assert.equal(delivery.attempts[0]?.status_code, 400);
    } finally {
      listener.child.kill('SIGINT');
      await listener.exited;
    }
  });

  it('webhooks listen --forward-to relays the same bytes and signature, and answers with the endpoint\'s status', async () => {
    const endpoint = await startWebhookReceiver(() => ({ status: 410 }));
    const listener = await listening('--forward-to', `${endpoint.url}/forwarded`);
    try {
      const started = await cli('run', 'chain-3', '--input', '{"topic":"cli"}', '--async', '--webhook', listener.url, '--webhook-secret', listener.secret, '--json');
      const runId = jsonLines(started.stdout)[0]?.run_id as string;
      const [forwarded] = await endpoint.waitFor(1);
      const payload = await verifyWebhook(listener.secret, forwarded!.headers, forwarded!.body);
      assert.equal(payload.run_id, runId);
      const [line] = await eventually(async () => (listener.lines().length ? listener.lines() : undefined), 10_000, 'the listen line');
      assert.deepEqual(line?.forwarded, { url: `${endpoint.url}/forwarded`, status: 410 });
      assert.equal(line?.status, 410);
      const client = new Chainport({ baseUrl: stack.api.url, apiKey: CALLERS.alice });
      const delivery = await eventually(async () => (await client.deliveries(runId)).find((d) => d.status === 'failed'));
      assert.equal(delivery.attempts.at(-1)?.status_code, 410, 'Chainport saw the endpoint\'s answer');
    } finally {
      listener.child.kill('SIGINT');
      await listener.exited;
      await endpoint.close();
    }
  });

  it('run --webhook is a usage error without --async or --stream, and with --stream needs a secret', async () => {
    const sync = await cli('run', 'chain-3', '--webhook', 'http://127.0.0.1:9/');
    assert.equal(sync.code, 2);
    assert.match(sync.stderr, /--webhook goes with --async or --stream/);
    const streamed = await exec(process.execPath, [BIN, 'run', 'chain-3', '--stream', '--webhook', 'http://127.0.0.1:9/'], { ...env(), CHAINPORT_WEBHOOK_SECRET: '' });
    assert.equal(streamed.code, 2);
    assert.match(streamed.stderr, /--stream with --webhook needs --webhook-secret/);
  });

  it('run --stream on a terminal shows each agent completed and a summary', async () => {
    const command = `stty cols 120 rows 40 2>/dev/null; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run streamed --stream`;
    const { code, stdout } = await exec('script', ['-qfec', command, '/dev/null'], env());
    assert.equal(code, 0, stdout);
    const screen = stripVTControlCharacters(stdout);
    for (const agent of ['teller', 'extractor', 'closer']) assert.match(screen, new RegExp(`${agent}\\s+completed`), `${agent} shown completed`);
    assert.match(screen, /✔ completed run-[0-9a-z]+ in [\d.]+ m?s, cost \$0\.0600/);
    assert.match(screen, /and the 10 words lived happily ever after/);
    assert.doesNotMatch(screen, /"event":/, 'no JSON lines on a terminal');
  });

  it('run --stream without a terminal prints run.waiting and exits 4; runs input answers the step; a value the schema refuses is exit 2', async () => {
    const waiting = await cli('run', 'approval', '--input', '{"topic":"cli"}', '--stream', '--json');
    assert.equal(waiting.code, 4, waiting.stderr);
    const last = jsonLines(waiting.stdout).at(-1) as { event: string; data: { step: string; prompt: string } };
    assert.equal(last.event, 'run.waiting');
    assert.equal(last.data.prompt, 'Publish this draft? Draft about cli');
    const runId = (jsonLines(waiting.stdout)[0] as { data: { run_id: string } }).data.run_id;
    assert.ok(waiting.stderr.includes(`chainport runs input ${runId} --step approval`), waiting.stderr);

    const refused = await cli('runs', 'input', runId, '--step', 'approval', '--value', '{"approved":"maybe"}');
    assert.equal(refused.code, 2, 'validation_failed is a usage error, as for input');
    assert.match(refused.stderr, /validation_failed/);
    assert.equal((await cli('runs', 'input', runId, '--step', 'approval', '--value', 'not json')).code, 2);
    const answered = await cli('runs', 'input', runId, '--step', 'approval', '--value', '{"approved":true,"note":"from the cli"}', '--json');
    assert.equal(answered.code, 0, answered.stderr);
    const done = await eventually(async () => {
      const run = jsonLines((await cli('runs', 'get', runId, '--json')).stdout)[0];
      return run?.status === 'completed' ? run : undefined;
    });
    assert.equal(done.output, 'Published: from the cli');
  });

  it('run --stream on a terminal asks for the answer, checks it against the schema, sends it and follows the run to the end', async () => {
    const command = `stty cols 120 rows 40 2>/dev/null; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run approval --input '{"topic":"tty"}' --stream`;
    const { child, output, exited } = launch('script', ['-qfec', command, '/dev/null'], env());
    await eventually(async () => (output.stdout.includes('Publish this draft? Draft about tty') && output.stdout.includes('> ') ? true : undefined), 20_000, 'the prompt');
    child.stdin.write('{"approved":"yes"}\r');
    await eventually(async () => (stripVTControlCharacters(output.stdout).includes('/approved must be boolean') ? true : undefined), 10_000, 'the schema problem');
    child.stdin.write('{"approved":true,"note":"typed"}\r');
    assert.equal(await exited, 0, stripVTControlCharacters(output.stdout));
    assert.match(stripVTControlCharacters(output.stdout), /Published: typed/);
  });

  it('Ctrl-C without a terminal detaches, prints how to re-attach and exits 130; the run goes on', async () => {
    const { child, output, exited } = launch(process.execPath, [BIN, 'run', 'slow', '--stream'], env());
    const started = await eventually(async () => jsonLines(output.stdout).find((e) => e.event === 'agent.started'), 20_000, 'the first agent started');
    assert.ok(started);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const runId = (jsonLines(output.stdout)[0] as { data: { run_id: string } }).data.run_id;
    assert.ok(output.stderr.includes(`chainport runs events ${runId}`), output.stderr);
    const run = jsonLines((await cli('runs', 'get', runId, '--json')).stdout)[0];
    assert.equal(run?.status, 'running', 'detaching leaves the run going');
    assert.equal((await cli('runs', 'cancel', runId)).code, 0);
  });

  for (const [answer, outcome] of [['y', 'cancelled'], ['', 'running']] as const) {
    it(`Ctrl-C on a terminal asks whether to cancel; "${answer}" leaves the run ${outcome}`, async () => {
      const command = `stty cols 120 rows 40 2>/dev/null; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run slow --stream`;
      const { child, output, exited } = launch('script', ['-qfec', command, '/dev/null'], env());
      await eventually(async () => (/plodder\s+running/.test(stripVTControlCharacters(output.stdout)) ? true : undefined), 20_000, 'plodder running');
      child.stdin.write('\x03');
      await eventually(async () => (output.stdout.includes('Cancel the run? [y/N]') ? true : undefined), 10_000, 'the prompt');
      child.stdin.write(`${answer}\r`);
      assert.equal(await exited, outcome === 'cancelled' ? 1 : 130);
      const runId = /run-[0-9a-z]+/.exec(stripVTControlCharacters(output.stdout))![0];
      if (outcome === 'running') {
        assert.ok(output.stdout.includes(`chainport runs events ${runId}`), 'prints how to re-attach');
        const run = jsonLines((await cli('runs', 'get', runId, '--json')).stdout)[0];
        assert.equal(run?.status, 'running');
        assert.equal((await cli('runs', 'cancel', runId)).code, 0);
        return;
      }
      const ended = await eventually(async () => {
        const run = jsonLines((await cli('runs', 'get', runId, '--json')).stdout)[0];
        return run?.status === 'running' ? undefined : run;
      });
      assert.equal(ended.status, 'cancelled');
    });
  }

  describe('rerun', () => {
    /** A run of rerun-me@1, ended failed at its editor (exit 1). */
    async function failedRun(topic = 'cli'): Promise<string> {
      const { code, stdout } = await cli('run', 'rerun-me@1', '--input', JSON.stringify({ topic }), '--json');
      assert.equal(code, 1);
      const run = jsonLines(stdout)[0] as { run_id: string; status: string };
      assert.equal(run.status, 'failed');
      return run.run_id;
    }

    it('rerun <run_id> --from waits for the new run and prints it with its reused agents, exit 0; runs list --rerun-of lists it', async () => {
      const original = await failedRun();
      const { code, stdout } = await cli('rerun', original, '--from', 'editor', '--target-chain', 'rerun-me@2', '--json');
      assert.equal(code, 0);
      const run = jsonLines(stdout)[0] as { run_id: string; status: string; rerun_of: unknown; agents: Array<{ status: string }> };
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.rerun_of, { run_id: original, from: 'editor' });
      assert.deepEqual(run.agents.map((a) => a.status), ['reused', 'reused', 'completed']);

      const human = await cli('rerun', original, '--from-index', '2', '--target-chain', 'rerun-me@2');
      assert.equal(human.code, 0);
      assert.match(human.stderr, new RegExp(`Re-running ${original} from editor as run-`));
      assert.match(human.stdout, new RegExp(`rerun of ${original} from editor; reused agents cost \\$0\\.0300 there`));
      assert.match(human.stdout, /draft\s+reused .* \$0\.0000 \(\$0\.0200 in the original run\)/);

      const listed = await eventually(async () => {
        const runs = jsonLines((await cli('runs', 'list', '--rerun-of', original, '--json')).stdout);
        return runs.length === 2 ? runs : undefined;
      });
      assert.ok(listed.some((r) => r.run_id === run.run_id));
    });

    it('rerun --stream --json prints the new run\'s events, agent events only for the agents that run again; a rerun that fails again exits 1; on a terminal the reused agents show done', async () => {
      const original = await failedRun();
      const streamed = await cli('rerun', original, '--from', 'editor', '--target-chain', 'rerun-me@2', '--stream', '--json');
      assert.equal(streamed.code, 0);
      const events = jsonLines(streamed.stdout) as Array<{ event: string; data: { agent?: string } }>;
      assert.deepEqual([events[0]?.event, events.at(-1)?.event], ['run.started', 'run.completed']);
      assert.deepEqual([...new Set(events.flatMap((e) => (e.data.agent ? [e.data.agent] : [])))], ['editor']);
      assert.equal((await cli('rerun', original, '--from', 'editor')).code, 1, 'on v1 the editor fails again');

      // On a terminal, the live view of `run --stream`, with the reused agents shown done.
      const command = `stty cols 120 rows 40 2>/dev/null; exec ${[process.execPath, BIN, 'rerun', original, '--from', 'editor', '--target-chain', 'rerun-me@2', '--stream'].map((a) => JSON.stringify(a)).join(' ')}`;
      const tty = await exec('script', ['-qfec', command, '/dev/null'], env());
      assert.equal(tty.code, 0, tty.stdout);
      const screen = stripVTControlCharacters(tty.stdout);
      assert.match(screen, /research\s+reused\s+from the original run, which paid \$0\.0100/);
      assert.match(screen, /draft\s+reused\s+from the original run, which paid \$0\.0200/);
      assert.match(screen, /editor\s+completed/);
      assert.match(screen, /3\/3 agents/);
      assert.match(screen, /✔ completed run-[0-9a-z]+ in [\d.]+ m?s, cost \$0\.0400/);
    });

    it('rerun usage: a run_id or --chain (not both, not neither), one way to name the agent, and no flag of the other kind: exit 2', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['rerun', 'run-00000000000000000000', '--chain', 'rerun-me@1', '--from', 'editor'], /a run_id to re-run one run, or --chain .* not both/],
        [['rerun', '--from', 'editor'], /Give the run_id of the run to re-run, or --chain/],
        [['rerun', 'run-00000000000000000000', '--from', 'editor', '--from-index', '2'], /exactly one of --from <agent> and --from-index/],
        [['rerun', 'run-00000000000000000000', '--from', 'editor', '--limit', '5'], /--limit goes with a batch/],
        [['rerun', '--chain', 'rerun-me@1', '--from-index', '2'], /--from-index goes with one run/],
        [['rerun', '--chain', 'rerun-me@1'], /A batch needs --from/],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = await cli(...args);
        assert.equal(code, 2, args.join(' '));
        assert.match(stderr, message);
      }
    });

    it('rerun --chain starts a batch under a printed key, follows it to per-run results (exit 0, or 1 when runs could not be re-run), and the key re-attaches', async () => {
      const createdAfter = new Date().toISOString();
      const originals = [await failedRun('batch-a'), await failedRun('batch-b')];
      // The batch finds runs through Temporal's visibility, which sees a run's end a moment later.
      await eventually(async () => {
        const failed = jsonLines((await cli('runs', 'list', '--chain', 'rerun-me', '--status', 'failed', '--json')).stdout).map((r) => r.run_id);
        return originals.every((id) => failed.includes(id)) ? true : undefined;
      });
      const batch = ['rerun', '--chain', 'rerun-me@1', '--from', 'editor', '--created-after', createdAfter];

      const json = await cli(...batch, '--target-chain', 'rerun-me@2', '--json');
      assert.equal(json.code, 0, json.stderr);
      const lines = jsonLines(json.stdout);
      const accepted = lines[0] as { batch_id: string; idempotency_key: string };
      assert.match(accepted.idempotency_key, /^cp-/);
      const done = lines.at(-1) as { status: string; total: number; started: number; failed: number; results: Array<{ original_run_id: string; run_id: string }> };
      assert.deepEqual([done.status, done.total, done.started, done.failed], ['completed', 2, 2, 0]);
      assert.deepEqual(new Set(done.results.map((r) => r.original_run_id)), new Set(originals));
      assert.ok(lines.slice(1, -1).every((l) => l.batch_id === accepted.batch_id && !('results' in l)), 'progress lines in between');

      const reshaped = await cli(...batch, '--target-chain', 'rerun-me@3');
      assert.equal(reshaped.code, 1, 'runs that could not be re-run');
      assert.match(reshaped.stderr, /--idempotency-key cp-/);
      for (const id of originals) assert.match(reshaped.stdout, new RegExp(`✖ ${id}: validation_failed`));
      assert.match(reshaped.stdout, /0 rerun\(s\) started of 2 run\(s\), 2 could not be re-run/);

      // Again with the first key, on a terminal: the same batch, its progress drawn in place.
      const command = `stty cols 160 rows 40 2>/dev/null; exec ${[process.execPath, BIN, ...batch, '--target-chain', 'rerun-me@2', '--idempotency-key', accepted.idempotency_key].map((a) => JSON.stringify(a)).join(' ')}`;
      const tty = await exec('script', ['-qfec', command, '/dev/null'], env());
      assert.equal(tty.code, 0, tty.stdout);
      const screen = stripVTControlCharacters(tty.stdout);
      assert.ok(screen.includes(accepted.batch_id), screen);
      assert.match(screen, /rerun-me@2 from editor .* 2\/2 runs · 2 started · 0 failed/);
      for (const result of done.results) assert.ok(screen.includes(`✔ ${result.original_run_id} → ${result.run_id}`), screen);
    });
  });
});
