/** The oldest Node.js the gateway runs on; package.json's `engines` says the same (tested). */
export const MINIMUM_NODE = '22.16.0';

/** Why this Node.js version cannot run the gateway, or undefined when it can. */
export function nodeVersionProblem(version: string): string | undefined {
  const have = version.split('.').map(Number);
  const need = MINIMUM_NODE.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const diff = (have[i] ?? 0) - need[i]!;
    if (diff > 0) return undefined;
    if (diff < 0) {
      return `Node.js ${MINIMUM_NODE} or newer is required (this is ${version}); install Node.js 24 LTS`;
    }
  }
  return undefined;
}
