// A terminal emulator for tests: replays the bytes a program wrote to a pseudo-terminal into xterm.js
// (the emulator VS Code embeds) in a real browser page, so a test reads the screen a user would see,
// after every cursor move and redraw, and can save it as an image.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const XTERM_JS = require.resolve('@xterm/xterm/lib/xterm.js');
const XTERM_CSS = readFileSync(require.resolve('@xterm/xterm/css/xterm.css'), 'utf8');

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** Shows `bytes` on a fresh terminal of `size` in `page`; answers the screen's lines, right-trimmed. */
export async function renderTerminal(page: Page, bytes: string, size: TerminalSize): Promise<string[]> {
  await page.setContent(`<!doctype html><style>${XTERM_CSS} body { margin: 0; background: #000; } #terminal { padding: 12px; display: inline-block; }</style><div id="terminal"></div>`);
  await page.addScriptTag({ path: XTERM_JS });
  // Page-side code as a string: this file is type-checked without the DOM lib.
  const lines = await page.evaluate(`new Promise((resolve) => {
    const term = new Terminal({ cols: ${size.cols}, rows: ${size.rows}, fontFamily: '"DejaVu Sans Mono", monospace', fontSize: 14, convertEol: false });
    term.open(document.getElementById('terminal'));
    term.write(${JSON.stringify(bytes)}, () => {
      const buffer = term.buffer.active;
      const lines = [];
      for (let y = 0; y < term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y).translateToString(true));
      resolve(lines);
    });
  })`);
  return lines as string[];
}
