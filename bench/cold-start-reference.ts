// The reference of `npm run bench -- cold-start`: the least a Kubernetes
// action must do before its first API request (load @actions/core and
// @kubernetes/client-node, read an input and the kubeconfig, send one
// request), bundled the same way as glidepath's actions.
import * as core from '@actions/core';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const kc = new KubeConfig();
kc.loadFromFile(core.getInput('kubeconfig', { required: true }));
const api = kc.makeApiClient(CoreV1Api);
try {
  await api.readNamespace({ name: core.getInput('namespace') || 'default' });
} catch (e: unknown) {
  core.setFailed(e instanceof Error ? e.message : String(e));
}
