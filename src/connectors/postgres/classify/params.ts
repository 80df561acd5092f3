import { parseSync } from 'libpg-query';

/**
 * The highest parameter number (`$n`) a SQL text uses, 0 for none; undefined when it does not
 * parse. Call once the parser is loaded (`loadSqlClassifier`).
 */
export function parameterCount(sql: string): number | undefined {
  let tree: unknown;
  try {
    tree = parseSync(sql);
  } catch {
    return undefined;
  }
  let most = 0;
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      if (key === 'ParamRef' && child && typeof child === 'object') {
        const number = (child as { number?: unknown }).number;
        if (typeof number === 'number') most = Math.max(most, number);
      }
      stack.push(child);
    }
  }
  return most;
}
