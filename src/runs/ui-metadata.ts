// What an operator reads about a run in the Temporal UI (and `temporal workflow describe`): the
// workflow's static summary and details, fixed at start. Never a secret, never a webhook's path or
// query (partners put tokens there): the webhook shows as its host only.

/** The one-line summary: `chain@version · caller`. */
export function runSummary(chain: { name: string; version: number }, callerId: string): string {
  return `${chain.name}@${chain.version} · ${callerId}`;
}

export interface RunDetailsFacts {
  inputBytes: number;
  /** The run's webhook URL, if it has one; only its host is shown. */
  webhookUrl?: string;
  /** The budget that applies (the lower of the chain's max_cost and the request's), if any. */
  budgetUsd?: number;
  /** For a rerun: the run it re-runs and the agent it re-ran from. */
  rerunOf?: { run_id: string; from: string };
}

/** The details, a Markdown list: input size, webhook host, budget — `none` for what the run lacks. */
export function runDetails(facts: RunDetailsFacts): string {
  return [
    `- input: ${facts.inputBytes} bytes`,
    `- webhook: ${facts.webhookUrl === undefined ? 'none' : new URL(facts.webhookUrl).host}`,
    `- budget: ${facts.budgetUsd === undefined ? 'none' : `max_cost ${facts.budgetUsd} USD`}`,
    ...(facts.rerunOf ? [`- rerun of: ${facts.rerunOf.run_id} from ${facts.rerunOf.from}`] : []),
  ].join('\n');
}
