/**
 * The command classes the Kubernetes connector gives a request (`Command.classes`), which the
 * `verb:` condition names. A request carries its API verb, `read` or `write`, and for pod
 * streams and logs the subresource's own class (`exec` is also `create`, as RBAC sees it).
 */
export const KUBE_COMMAND_CLASSES: Readonly<Record<string, string>> = {
  get: 'read one object',
  list: 'read a collection',
  watch: 'stream changes to objects',
  create: 'create an object (and every pod exec, attach and port-forward)',
  update: 'replace an object (PUT)',
  patch: 'change part of an object (PATCH)',
  delete: 'delete one object',
  deletecollection: 'delete every object a collection request selects',
  exec: 'run a command in a container (pods/exec)',
  attach: 'attach to a running container (pods/attach)',
  portforward: 'forward ports to a pod (pods/portforward)',
  proxy: 'proxy a request to a pod, service or node',
  log: 'read container logs (pods/log)',
  read: 'any request that only reads (get, list, watch, log)',
  write:
    'any request that may change the cluster (create, update, patch, delete, deletecollection)',
  nonresource: 'a request outside the resource API (/version, /healthz, discovery)',
};
