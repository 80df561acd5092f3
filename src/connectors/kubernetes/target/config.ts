/** The `target:` section of a `type: kubernetes` connector (docs/kubernetes.md). */
import { z } from 'zod';
import { secretRef } from '../../../config/schema.js';

export const kubernetesTargetSchema = z
  .strictObject({
    /** The API server, e.g. `https://10.0.0.1:6443`. */
    server: z
      .url()
      .refine((url) => url.startsWith('https://'), 'the API server must be an https:// URL'),
    /** CA bundle (PEM) that signed the API server's certificate; the system CAs when absent. */
    ca: secretRef.optional(),
    /** The gateway's own bearer token for the API server. */
    token: secretRef.optional(),
    /** Or the gateway's client certificate and key (PEM). */
    client_cert: secretRef.optional(),
    client_key: secretRef.optional(),
    /**
     * Send `Impersonate-User`/`Impersonate-Group` with the caller's identity, so the cluster's
     * RBAC and audit log see the person or agent (the gateway's account needs `impersonate`).
     */
    impersonate: z.boolean().prefault(false),
    /** Prefix for impersonated groups (`oidc:` → `oidc:sre`); none by default. */
    group_prefix: z.string().prefault(''),
    /** Groups whose identities read Secret `data` unmasked. */
    secrets_exempt_groups: z.array(z.string()).prefault([]),
  })
  .superRefine((target, ctx) => {
    const cert = target.client_cert !== undefined;
    const key = target.client_key !== undefined;
    if (cert !== key) {
      ctx.addIssue({
        code: 'custom',
        path: [cert ? 'client_key' : 'client_cert'],
        message: 'client_cert and client_key go together',
      });
    }
    if (target.token === undefined && !cert) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'the gateway needs its own credentials: token, or client_cert and client_key',
      });
    }
    if (target.token !== undefined && cert) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'give either token or client_cert/client_key, not both',
      });
    }
  });

export type KubernetesTargetConfig = z.infer<typeof kubernetesTargetSchema>;
