/**
 * The targets a bench report says were not met, by their path in it: every figure held to a target
 * (`{ met: false }`) and every check under a `…targets` object that is false. The bench prints them
 * last, so a target that regresses is seen in any run, not only by whoever reads the JSON.
 */
export function unmetTargets(report: unknown, path: string[] = []): string[] {
  if (typeof report !== 'object' || report === null) return [];
  if ((report as { met?: unknown }).met === false) return [path.join('.')];
  const checks = /(^|_)targets$/.test(path.at(-1) ?? '');
  return Object.entries(report).flatMap(([key, value]) => (checks && value === false ? [[...path, key].join('.')] : unmetTargets(value, [...path, key])));
}
