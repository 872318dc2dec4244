import { stripVTControlCharacters } from 'node:util';

/** C0 and C1 controls except tab and newline: a lone ESC, BEL, backspace or carriage return can still rewrite what is on screen. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Text from a run (model output, error messages, names) made safe to print: escape sequences (CSI,
 * OSC such as a window-title change, …) and other control characters removed, tabs and newlines kept.
 * A model or an upstream endpoint decides that text, so it must never drive the caller's terminal.
 */
export function terminalSafe(text: string): string {
  return stripVTControlCharacters(text).replace(CONTROL, '');
}
