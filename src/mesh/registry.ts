import { ConfigurationError } from '../config/errors.js';
import type { RouterConfig } from '../config/rollout.js';
import { GatewayApiRouter } from './gateway-api.js';
import { IstioRouter } from './istio.js';
import { type LocalProxy, LocalRouter } from './local.js';
import type { RouterContext, TrafficRouter } from './router.js';
import { SmiRouter } from './smi.js';

export type RouterFactoryContext = RouterContext & { localProxy?: LocalProxy };

/** The router for the config's provider: one line per mesh, and never a fallback for a name we do not know. */
export function createRouter(config: RouterConfig, context: RouterFactoryContext): TrafficRouter {
  switch (config.provider) {
    case 'istio':
      return new IstioRouter(context, {
        virtualService: config.virtualService,
        ...(config.route !== undefined ? { route: config.route } : {}),
        ...(config.destinationRule !== undefined ? { destinationRule: config.destinationRule } : {}),
      });
    case 'gateway-api':
      return new GatewayApiRouter(context, {
        httpRoute: config.httpRoute,
        ...(config.rule !== undefined ? { rule: config.rule } : {}),
      });
    case 'smi':
      return new SmiRouter(context, {
        ...(config.trafficSplit !== undefined ? { trafficSplit: config.trafficSplit } : {}),
        ...(config.apiVersion !== undefined ? { apiVersion: config.apiVersion } : {}),
      });
    case 'local':
      if (!context.localProxy) {
        throw new ConfigurationError([
          {
            field: 'router.provider',
            message:
              'the "local" router is the playground\'s in-process proxy and works only under `glidepath playground`; for a cluster use "istio", "gateway-api" or "smi"',
          },
        ]);
      }
      return new LocalRouter(context.localProxy);
    default: {
      const provider = (config as { provider?: unknown }).provider;
      throw new ConfigurationError([
        {
          field: 'router.provider',
          message: `provider must be one of "istio", "gateway-api", "smi", "local", found ${JSON.stringify(provider)}`,
        },
      ]);
    }
  }
}
