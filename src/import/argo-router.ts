import type { RouterConfig } from '../config/rollout.js';
import type { MetricsFlavour } from './builtin-checks.js';
import { failAt, isRecord, type SourceDocument } from './documents.js';
import type { Note } from './result.js';

/**
 * The router for an Argo `trafficRouting`, and which metrics the mesh exports (for built-in checks).
 * Routers glidepath lacks are an error, never a fallback; no trafficRouting at all is a noted assumption.
 */
export function chooseRouter(
  rollout: SourceDocument,
  canary: Record<string, unknown>,
  name: string,
  note: Note,
): { router: RouterConfig; flavour?: MetricsFlavour } {
  const routing = canary.trafficRouting;
  if (!isRecord(routing)) {
    note(
      'spec.strategy.canary.trafficRouting',
      `absent: Argo approximated weights by replica counts; glidepath needs a router, so the Gateway API HTTPRoute "${name}" was assumed (built-in metrics for Envoy-based gateways): change router to istio or smi if that is your mesh`,
    );
    return { router: { provider: 'gateway-api', httpRoute: name }, flavour: 'envoy' };
  }
  const at = 'spec.strategy.canary.trafficRouting';
  if (isRecord(routing.istio)) {
    const istio = routing.istio;
    const services = Array.isArray(istio.virtualServices)
      ? istio.virtualServices
      : isRecord(istio.virtualService)
        ? [istio.virtualService]
        : [];
    const first = services[0];
    if (!isRecord(first) || typeof first.name !== 'string') {
      throw failAt(
        rollout.document,
        ['spec', 'strategy', 'canary', 'trafficRouting', 'istio'],
        'needs virtualService.name',
      );
    }
    if (services.length > 1) {
      note(
        `${at}.istio.virtualServices`,
        `only "${first.name}" carried over: glidepath manages one VirtualService`,
      );
    }
    const routes = Array.isArray(first.routes) ? first.routes.filter((r) => typeof r === 'string') : [];
    if (routes.length > 1)
      note(`${at}.istio`, `only route "${routes[0]}" carried over: glidepath manages one http route`);
    if (Array.isArray(first.tlsRoutes) || Array.isArray(first.tcpRoutes)) {
      note(`${at}.istio`, 'tlsRoutes/tcpRoutes not carried over: glidepath weights http routes only');
    }
    const rule = isRecord(istio.destinationRule) ? istio.destinationRule : undefined;
    if (rule) {
      note(
        `${at}.istio.destinationRule`,
        'canarySubsetName/stableSubsetName not carried over: glidepath writes its own primary/canary subsets into the DestinationRule',
      );
    } else {
      note(
        `${at}.istio`,
        'Argo split by host (stableService/canaryService); glidepath splits by DestinationRule subsets over one host, and creates the DestinationRule when missing',
      );
    }
    return {
      router: {
        provider: 'istio',
        virtualService: first.name,
        ...(routes[0] ? { route: routes[0] as string } : {}),
        ...(rule && typeof rule.name === 'string' ? { destinationRule: rule.name } : {}),
      },
      flavour: 'istio',
    };
  }
  if (isRecord(routing.smi)) {
    const smi = routing.smi;
    const split = typeof smi.trafficSplitName === 'string' ? smi.trafficSplitName : name;
    const template = isRecord(rollout.spec.template) ? rollout.spec.template : {};
    const metadata = isRecord(template.metadata) ? template.metadata : {};
    const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
    const linkerd = annotations['linkerd.io/inject'] !== undefined;
    note(
      `${at}.smi`,
      `SMI TrafficSplit "${split}"${typeof smi.rootService === 'string' ? ` (rootService ${smi.rootService} not carried over: glidepath routes <service>)` : ''}${linkerd ? '; Linkerd deprecated SMI, so on Linkerd 2.12+ prefer router {provider: gateway-api}' : ''}`,
    );
    return {
      router: { provider: 'smi', trafficSplit: split },
      ...(linkerd ? { flavour: 'linkerd' as const } : {}),
    };
  }
  if (isRecord(routing.plugins)) {
    const key = Object.keys(routing.plugins).find((k) => /gatewayapi/i.test(k));
    const plugin = key ? routing.plugins[key] : undefined;
    if (isRecord(plugin)) {
      const routes = Array.isArray(plugin.httpRoutes) ? plugin.httpRoutes : [];
      const first = routes[0];
      const route =
        typeof plugin.httpRoute === 'string'
          ? plugin.httpRoute
          : isRecord(first) && typeof first.name === 'string'
            ? first.name
            : undefined;
      if (!route)
        throw failAt(
          rollout.document,
          ['spec', 'strategy', 'canary', 'trafficRouting', 'plugins', key as string],
          'needs httpRoute',
        );
      if (routes.length > 1)
        note(
          `${at}.plugins.${key}.httpRoutes`,
          `only "${route}" carried over: glidepath manages one HTTPRoute`,
        );
      note(
        `${at}.plugins.${key}`,
        'Gateway API HTTPRoute; built-in metrics, if any were added, are written for Envoy-based gateways',
      );
      return { router: { provider: 'gateway-api', httpRoute: route }, flavour: 'envoy' };
    }
  }
  const kinds = Object.keys(routing).filter((k) => k !== 'managedRoutes');
  throw failAt(
    rollout.document,
    ['spec', 'strategy', 'canary', 'trafficRouting'],
    `glidepath has no router for trafficRouting ${kinds.join(', ') || '(empty)'}; it routes with istio, smi or the Gateway API plugin. If your ingress implements Gateway API, use the argoproj-labs/gatewayAPI plugin and import again`,
  );
}
