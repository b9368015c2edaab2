import type { Service } from './services.js';

/**
 * The services touched by `changedFiles`: a file inside a service's folder, its Dockerfile or
 * context, or one of its `dependsOn` paths. Paths are indexed by prefix so the cost is one map
 * lookup per folder level of each changed file, not one comparison per service (1 000 services
 * and a large diff stay fast).
 */
export function matchChangedServices(services: Service[], changedFiles: Iterable<string>): Service[] {
  const byPath = new Map<string, Set<number>>();
  const watch = (path: string, index: number) => {
    const set = byPath.get(path) ?? new Set<number>();
    set.add(index);
    byPath.set(path, set);
  };
  services.forEach((s, i) => {
    watch(s.path, i);
    watch(s.dockerfile, i);
    // A context of "." would make every file in the repo rebuild the service; the folder and
    // dependsOn say what really matters then.
    if (s.context !== '.') watch(s.context, i);
    for (const d of s.dependsOn) watch(d, i);
  });
  const files = [...changedFiles];
  const hit = new Set<number>(files.length > 0 ? (byPath.get('.') ?? []) : []);
  for (const file of files) {
    let prefix = file;
    for (;;) {
      for (const i of byPath.get(prefix) ?? []) hit.add(i);
      const slash = prefix.lastIndexOf('/');
      if (slash <= 0) break;
      prefix = prefix.slice(0, slash);
    }
  }
  return services.filter((_, i) => hit.has(i));
}
