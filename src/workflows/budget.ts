/**
 * The budget a run is held to: the lower of its chain's `max_cost` and the start request's, or none.
 * Plain code with no imports: the workflow enforces it, and the start shows it in the Temporal UI.
 */
export function runBudget(chainMaxCost: number | undefined, requestMaxCost: number | undefined): number | undefined {
  if (chainMaxCost === undefined) return requestMaxCost;
  if (requestMaxCost === undefined) return chainMaxCost;
  return Math.min(chainMaxCost, requestMaxCost);
}
