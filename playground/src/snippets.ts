// The request the page is about to send, as a copyable curl command and a chainport/client call.
// The key is written as $CHAINPORT_API_KEY: a snippet someone pastes into a chat must not carry it.

export type Mode = 'sync' | 'async' | 'stream';

const ROUTE: Record<Mode, string> = { sync: '', async: '/runs', stream: '/stream' };

export interface RunRequest {
  chainRef: string;
  input: Record<string, unknown>;
  mode: Mode;
  webhook?: { url: string };
}

/** `curl` for the run as the page would start it. */
export function curlSnippet(origin: string, { chainRef, input, mode, webhook }: RunRequest): string {
  const body = JSON.stringify({ input, webhook }).replaceAll("'", "'\\''");
  return [
    `curl${mode === 'stream' ? ' -N' : ''} -X POST ${origin}/api/v1/chains/${encodeURIComponent(chainRef).replace("%40", "@")}${ROUTE[mode]} \\`,
    `  -H "Authorization: Bearer $CHAINPORT_API_KEY" -H 'Content-Type: application/json' \\`,
    `  -d '${body}'`,
  ].join('\n');
}

/** The same run with the TypeScript client. */
export function clientSnippet(origin: string, { chainRef, input, mode, webhook }: RunRequest): string {
  const args = `${JSON.stringify(chainRef)}, ${JSON.stringify(input)}`;
  const startArgs = webhook ? `${args}, { webhook: ${JSON.stringify(webhook)} }` : args;
  const call = {
    sync: `const run = await chainport.run(${args});\nconsole.log(run.output);`,
    async: `const { run_id } = await chainport.start(${startArgs});\nconst run = await chainport.wait(run_id);\nconsole.log(run.status, run.output);`,
    stream: `for await (const event of chainport.stream(${args})) {\n  if (event.event === 'agent.output') console.log(event.data.agent, event.data.chunk);\n}`,
  }[mode];
  return `import { Chainport } from 'chainport/client';\n\nconst chainport = new Chainport({ baseUrl: ${JSON.stringify(origin)}, apiKey: process.env.CHAINPORT_API_KEY! });\n${call}`;
}
