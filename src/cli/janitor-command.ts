import { parseArgs } from 'node:util';
import { contextNamespace, loadKubeConfig, makeKubeClients } from '../kube/client.js';
import { runJanitor } from '../rollout/janitor.js';

export const janitorUsage = `glidepath janitor [--namespace NS]... [--kubeconfig PATH] [--dry-run]
  Restores 100 % primary for rollouts whose runner died (their Lease expired unfinished). Exit 1 when a cleanup failed.`;

export async function janitorCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      namespace: { type: 'string', multiple: true, default: [] },
      kubeconfig: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const config = loadKubeConfig({ kubeconfig: values.kubeconfig });
  const kube = makeKubeClients(config);
  const namespaces = values.namespace?.length ? values.namespace : [contextNamespace(config)];
  let failed = false;
  for (const namespace of namespaces) {
    const findings = await runJanitor(kube, namespace, { dryRun: values['dry-run'] });
    if (findings.length === 0) console.log(`${namespace}: no glidepath rollouts`);
    for (const f of findings) {
      console.log(`${f.namespace}/${f.service}: ${f.action}: ${f.reason}`);
      if (f.action === 'failed') failed = true;
    }
  }
  return failed ? 1 : 0;
}
