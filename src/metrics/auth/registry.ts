import type { CloudAuthConfig } from '../../config/source.js';
import { AzureAuth } from './azure.js';
import { GoogleCloudAuth } from './google.js';
import { IbmAuth } from './ibm.js';
import type { Mask, RequestAuth } from './request-auth.js';
import { SigV4Auth } from './sigv4.js';

export interface AuthContext {
  /** The source's address (AMP's names its region). */
  address: string;
  env: NodeJS.ProcessEnv;
  mask: Mask;
  now?: () => Date;
}

/** The request auth a source's `auth.type` names. */
export function createRequestAuth(config: CloudAuthConfig, context: AuthContext): RequestAuth {
  const { env, mask, now } = context;
  switch (config.type) {
    case 'sigv4':
      return new SigV4Auth({
        service: config.service,
        region: config.region,
        address: context.address,
        regionField: 'spec.source.auth.region',
        env,
        now,
      });
    case 'azure':
      return new AzureAuth({ ...config, env, mask, now });
    case 'google':
      return new GoogleCloudAuth({ ...config, env, mask, now });
    case 'ibm':
      return new IbmAuth({ ...config, env, mask, now });
    default: {
      const unknown: never = config;
      throw new Error(`unknown auth type ${JSON.stringify((unknown as { type: string }).type)}`);
    }
  }
}
