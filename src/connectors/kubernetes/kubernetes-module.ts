/**
 * The Kubernetes connector as the gateway registers it (`src/connectors/registry.ts`): its
 * config (`target`, rule conditions), its request classes, classification for the policy
 * tester, its `Status` errors, and the HTTPS listener (docs/kubernetes.md).
 */
import { z } from 'zod';
import type { Command } from '../../core/command.js';
import type { ConditionSpec, ConnectorModule } from '../../core/connector-module.js';
import { compileGlobs } from '../../policy/glob.js';
import { classCondition, stringListSchema, targetGlobCondition } from '../../policy/index.js';
import { KUBE_COMMAND_CLASSES } from './classify/classes.js';
import { kubeCommand } from './classify/command.js';
import { requestInfo } from './classify/request-info.js';
import { createKubernetesConnector } from './kubernetes-connector.js';
import { renderStatus } from './protocol/status.js';
import { replayKubernetesCommand } from './replay.js';
import { type KubernetesTargetConfig, kubernetesTargetSchema } from './target/config.js';

/** `true` holds when the attribute is true; an unknown value counts as true (fail closed). */
function attributeFlag(key: string, words: string): ConditionSpec<boolean> {
  return {
    schema: z.boolean(),
    kind: 'content',
    compile(wanted) {
      const has = (command: Command) => command.attributes?.[key] === true;
      return {
        test: (command) => has(command) === wanted,
        why: (command) => `the request is ${has(command) ? '' : 'not '}${words}`,
      };
    },
    describe: (wanted) => (wanted ? { qualifier: words } : undefined),
  };
}

/**
 * `resource: [secrets, deployments.apps, pods/exec]`: a glob over the resource, the resource
 * with its API group, or the resource with its subresource. A scope condition: a request
 * whose resource is unknown (unclassifiable) meets it.
 */
const resourceCondition: ConditionSpec<string[]> = {
  schema: stringListSchema,
  kind: 'scope',
  compile(patterns) {
    const match = compileGlobs(patterns);
    return {
      test(command) {
        const target = command.target ?? {};
        const resource = target['resource'];
        if (resource === undefined) return command.unclassifiable === true;
        const group = target['api_group'];
        const forms = [resource];
        if (group && group !== 'core') forms.push(`${resource}.${group}`);
        if (target['subresource']) forms.push(`${resource}/${target['subresource']}`);
        return forms.some(match);
      },
      why: (command) =>
        `resource is ${command.target?.['resource'] ?? 'unknown'}, not [${patterns.join(', ')}]`,
    };
  },
};

function classifyText(text: string): Command {
  const space = text.indexOf(' ');
  const method = space === -1 ? 'GET' : text.slice(0, space);
  const url = space === -1 ? text : text.slice(space + 1).trim();
  return kubeCommand(requestInfo(method, url), method, url);
}

export const kubernetesModule: ConnectorModule<KubernetesTargetConfig> = {
  type: 'kubernetes',
  targetSchema: kubernetesTargetSchema,
  conditions: {
    verb: classCondition(KUBE_COMMAND_CLASSES, 'verb'),
    resource: resourceCondition,
    subresource: targetGlobCondition('subresource'),
    api_group: targetGlobCondition('api_group'),
    namespace: targetGlobCondition('namespace'),
    name: targetGlobCondition('name'),
    privileged: attributeFlag('privileged', 'into a privileged pod'),
    dry_run: attributeFlag('dry_run', 'a dry run'),
  },
  commandClasses: KUBE_COMMAND_CLASSES,
  describeAttribute(key, value) {
    if (key === 'privileged' && value === true)
      return 'the pod runs privileged or with host access';
    if (key === 'dry_run' && value === true) return 'dryRun=All: nothing is persisted';
    if (key === 'malformed') return `the request could not be classified: ${String(value)}`;
    return undefined;
  },
  /** The policy tester's text is a request line: `DELETE /api/v1/namespaces/prod/pods/web`. */
  classify: async (text) => classifyText(text),
  renderError: renderStatus,
  replay: replayKubernetesCommand,
  create: (deps) => createKubernetesConnector(deps),
};
