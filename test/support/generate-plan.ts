/**
 * A synthetic `show -json` plan of `count` resources spread over modules, with
 * a mix of actions, nested values, sensitive and unknown attributes: for the
 * comment-limit tests and the render benchmark.
 */
export function generatePlan(count: number): string {
  const actions = [['create'], ['update'], ['delete'], ['delete', 'create'], ['no-op']];
  const resource_changes = [];
  for (let i = 0; i < count; i++) {
    const act = actions[i % actions.length] as string[];
    const module_address = i % 3 === 0 ? undefined : `module.m${i % 7}`;
    const base = {
      name: `svc-${i}`,
      tags: { team: 'platform', index: String(i) },
      ports: [80, 443],
      size: i % 10,
    };
    const before = act[0] === 'create' ? null : { ...base, id: `id-${i}`, password: 'generated-secret' };
    const after =
      act[0] === 'delete' && act.length === 1
        ? null
        : { ...base, size: (i % 10) + 1, password: 'generated-secret' };
    resource_changes.push({
      address: `${module_address ? `${module_address}.` : ''}example_thing.r[${i}]`,
      ...(module_address ? { module_address } : {}),
      mode: 'managed',
      type: 'example_thing',
      name: 'r',
      index: i,
      provider_name: 'registry.terraform.io/example/example',
      change: {
        actions: act,
        before,
        after,
        after_unknown: after ? { id: true } : false,
        before_sensitive: before ? { password: true } : false,
        after_sensitive: after ? { password: true } : false,
      },
    });
  }
  return JSON.stringify({
    format_version: '1.2',
    terraform_version: '1.9.0',
    resource_changes,
    applyable: true,
    complete: true,
    errored: false,
  });
}
