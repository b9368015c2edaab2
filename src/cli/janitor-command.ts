import { contextNamespace, loadKubeConfig, makeKubeClients } from '../kube/client.js';
import { runJanitor } from '../rollout/janitor.js';
import { parseCommandArgs } from './args.js';
import { EXIT } from './exit-codes.js';

export const janitorUsage = `glidepath janitor [--namespace NS]... [--kubeconfig PATH] [--dry-run]
  Restores 100 % primary for rollouts whose runner died (their Lease expired unfinished).
  --namespace   a namespace to sweep (repeatable; default: the kubeconfig context's)
  --kubeconfig  the kubeconfig (default: KUBECONFIG, ~/.kube/config or in-cluster)
  --dry-run     say what would be restored, change nothing
  Exit code 0 done, 1 a cleanup failed, 64 usage error.`;

export async function janitorCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      namespace: { type: 'string', multiple: true },
      kubeconfig: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    janitorUsage,
    { positionals: false },
  );
  const config = loadKubeConfig({ kubeconfig: values.kubeconfig });
  const kube = makeKubeClients(config);
  const namespaces = values.namespace?.length ? values.namespace : [contextNamespace(config)];
  let failed = false;
  for (const namespace of namespaces) {
    const findings = await runJanitor(kube, namespace, { dryRun: values['dry-run'] === true });
    if (findings.length === 0) console.log(`${namespace}: no glidepath rollouts`);
    for (const f of findings) {
      console.log(`${f.namespace}/${f.service}: ${f.action}: ${f.reason}`);
      if (f.action === 'failed') failed = true;
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}
