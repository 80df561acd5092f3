/**
 * Secret values kept from clients and the audit log: `data`/`stringData` values of Secret
 * objects (alone, in a list, in a watch event) are replaced, and the last-applied annotation
 * kubectl keeps (which holds the values again) is dropped. Pure.
 */

/** What a masked value decodes to (`data` values stay base64, as clients expect). */
export const MASKED_TEXT = '********';
const MASKED_BASE64 = Buffer.from(MASKED_TEXT).toString('base64');
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function maskSecret(secret: Record<string, unknown>): void {
  for (const key of ['data', 'stringData'] as const) {
    const values = secret[key];
    if (typeof values !== 'object' || values === null) continue;
    for (const name of Object.keys(values)) {
      (values as Record<string, unknown>)[name] = key === 'data' ? MASKED_BASE64 : MASKED_TEXT;
    }
  }
  const metadata = secret['metadata'];
  if (typeof metadata === 'object' && metadata !== null) {
    const annotations = (metadata as { annotations?: Record<string, unknown> }).annotations;
    if (annotations && LAST_APPLIED in annotations) annotations[LAST_APPLIED] = MASKED_TEXT;
  }
}

/** Masks every Secret in a decoded API object (a Secret, a SecretList, a watch event). */
export function maskSecrets(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const object = value as Record<string, unknown>;
  if (object['kind'] === 'Secret' || ('data' in object && 'type' in object)) maskSecret(object);
  if (Array.isArray(object['items'])) {
    for (const item of object['items']) {
      if (typeof item === 'object' && item !== null) maskSecret(item as Record<string, unknown>);
    }
  }
  // A Table (kubectl's default output): each row may carry the object or its metadata.
  if (Array.isArray(object['rows'])) {
    for (const row of object['rows']) {
      const inner =
        typeof row === 'object' && row !== null ? (row as { object?: unknown }).object : undefined;
      if (typeof inner === 'object' && inner !== null) maskSecret(inner as Record<string, unknown>);
    }
  }
  if (typeof object['object'] === 'object' && object['object'] !== null) {
    maskSecrets(object['object']);
  }
}

/**
 * A JSON text (one object, or newline-separated watch events) with its Secrets masked. A text
 * that does not parse is replaced whole: nothing unmasked gets through.
 */
export function maskSecretsText(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.trim() === '') return line;
      try {
        const value: unknown = JSON.parse(line);
        maskSecrets(value);
        return JSON.stringify(value);
      } catch {
        return JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'masked',
        });
      }
    })
    .join('\n');
}
