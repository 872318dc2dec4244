import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CALLERS } from '../helpers/api.js';
import { launchChromium, outputPath } from '../helpers/browser.js';
import { useStack } from '../helpers/stack.js';
import { renderTerminal } from '../helpers/terminal.js';

// The README's first command after `npm start`, exactly as a user types it, on a terminal: the CLI
// runs under a pseudo-terminal (util-linux `script`), and its bytes are replayed into a terminal
// emulator (xterm.js in Chromium), so the assertions read the screen after log-update's redraws and
// the screenshots in the README (docs/cli-live.png, docs/cli.png) are what the test saw.

const ROOT = path.resolve(import.meta.dirname, '../..');
const COMMAND = `npx chainport run writing-pipeline --input '{"topic":"agents"}' --stream`;
const SIZE = { cols: 110, rows: 9 };
/** As the CLI prints durations: `777 ms`, `1.6 s`. */
const DURATION = String.raw`\d+(?:\.\d)? m?s`;
const PROMPT = `\x1b[1;32m$\x1b[0m ${COMMAND}\r\n`;

const chainsDir = mkdtempSync(path.join(tmpdir(), 'chainport-cli-terminal-'));
copyFileSync(path.join(ROOT, 'chains/writing-pipeline.yaml'), path.join(chainsDir, 'writing-pipeline.yaml'));

void describe(`\`${COMMAND}\` on a terminal`, () => {
  const stack = useStack({ env: { CHAINPORT_CHAINS_DIR: chainsDir } });
  let browser: Browser;
  let page: Page;
  let written = '';
  /** Everything the terminal had received after each write: the screen at any past moment. */
  const moments: string[] = [];
  let exited: Promise<number | null>;

  before(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 400 } });
  });
  after(async () => {
    await browser?.close();
  });

  /** The screen after `bytes`, left on the page for a screenshot. */
  const screen = (bytes: string) => renderTerminal(page, PROMPT + bytes, SIZE);
  const screenshot = (file: string) => page.locator('#terminal').screenshot({ path: outputPath(file) });

  void it('shows live progress: finished agents with duration and cost, the running agent and its tokens, a progress bar', { timeout: 60_000 }, async () => {
    const child = spawn('script', ['-qfec', `stty cols ${SIZE.cols} rows ${SIZE.rows}; exec ${COMMAND}`, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, CHAINPORT_URL: stack.api.url, CHAINPORT_API_KEY: CALLERS.alice, TERM: 'xterm-256color' },
    });
    // Decoded as a stream, so a character split across two reads (✔, █, a spinner frame) stays whole.
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => moments.push((written += chunk)));
    exited = new Promise((resolve) => child.on('close', resolve));

    // The writer has streamed a few words of its draft: the moment the README's image shows. The
    // draft's line shows its last words once it outgrows the screen, so that moment lasts about one
    // redraw; sampling the live screen would miss it on a busy machine. Replaying what the terminal
    // had received after each write finds it every time.
    await exited;
    let live: string[] | undefined;
    for (const bytes of moments.filter((m) => m.includes('Following the outline'))) {
      const lines = await screen(bytes);
      if (lines.some((line) => /^ {4}Draft on agents\. Following the outline .{40}/.test(line))) {
        live = lines;
        break;
      }
    }
    assert.ok(live, 'the writer streamed its draft a few words at a time');
    await screenshot('cli-live.png');

    assert.match(live[1] ?? '', /^writing-pipeline@1 run-[0-9a-z]+ +█+░+ 1\/3 agents$/);
    assert.match(live[2] ?? '', new RegExp(`^ {2}✔ outliner +completed attempt 1 +${DURATION} +\\$0\\.0100$`));
    assert.match(live[3] ?? '', new RegExp(`^ {2}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] writer +running +attempt 1 +${DURATION}$`));
    assert.ok(!live.some((line) => line.includes('editor')), 'the editor has not started');
  });

  void it('ends with every agent completed, a summary line and the output; exit code 0', async () => {
    assert.equal(await exited, 0);
    const final = await screen(written);
    await screenshot('cli.png');
    assert.match(final[1] ?? '', /^writing-pipeline@1 run-[0-9a-z]+ +█{20} 3\/3 agents$/);
    for (const [row, agent, cost] of [[2, 'outliner', '0.0100'], [3, 'writer', '0.0500'], [4, 'editor', '0.0200']] as const) {
      assert.match(final[row] ?? '', new RegExp(`^ {2}✔ ${agent} +completed attempt 1 +${DURATION} +\\$${cost.replace('.', '\\.')}$`));
    }
    assert.match(final[5] ?? '', new RegExp(`^✔ completed run-[0-9a-z]+ in ${DURATION}, cost \\$0\\.0800$`));
    assert.match(final[6] ?? '', /^Edited article on agents: tightened the opening/);
  });
});
