// The page's way to the API: a chainport/client made from the key, which lives in this tab's
// sessionStorage only and is sent only as an Authorization header; the development key a local server
// offers; and how an API error reads on the page.
import { Chainport, ChainportError } from '../../src/client/index.js';

const KEY_STORAGE = 'chainport.apiKey';
/** The page is served by the API it talks to. */
export const origin = location.origin;
/** How often the page asks again about a run or a delivery it follows. */
const POLL_MS = 1000;

/** Waits until the next poll is due. */
export const nextPoll = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/** The key in use and the client that sends it. */
export class Session {
  #client: Chainport | undefined;

  /** The client for the key last used, until it is forgotten (whether or not the server took the key). */
  get client(): Chainport | undefined {
    return this.#client;
  }

  /** The key this tab used last, if any. */
  savedKey(): string | null {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  /** Keeps `key` for this tab and answers the client that sends it. */
  use(key: string): Chainport {
    sessionStorage.setItem(KEY_STORAGE, key);
    this.#client = new Chainport({ baseUrl: origin, apiKey: key });
    return this.#client;
  }

  forget(): void {
    sessionStorage.removeItem(KEY_STORAGE);
    this.#client = undefined;
  }
}

/** In local mode (`npm start` on this machine, no caller configured) the server offers its development key. */
export async function localKey(): Promise<string | undefined> {
  const res = await fetch('/playground/local-key', { credentials: 'omit' }).catch(() => undefined);
  if (!res?.ok) return undefined;
  const { api_key: key } = (await res.json()) as { api_key: string };
  return key;
}

/** An error as one line on the page: the problem's code, message and field errors when the API sent one. */
export function describe(err: unknown): string {
  if (err instanceof ChainportError) {
    const details = err.problem?.errors ? ` ${JSON.stringify(err.problem.errors)}` : '';
    return `${err.code}: ${err.message}${details}`;
  }
  return err instanceof Error ? err.message : String(err);
}
