/**
 * Names the cause of a failed HTTP request, so that a user reads "DNS lookup
 * failed" or "connection refused by 10.0.0.7:9090" instead of undici's bare
 * `TypeError: fetch failed`. undici keeps the socket's error in `cause`
 * (https://undici.nodejs.org/#/docs/api/Errors); Node's happy-eyeballs
 * connect (autoSelectFamily, on by default since Node 20) reports one error
 * per address tried as an AggregateError whose own message is empty.
 * No imports: the GitHub client uses it too, without pulling undici in.
 */
export function describeNetworkError(e: unknown, url?: URL | string, timeoutMs?: number): string {
  const host = url === undefined ? undefined : hostOf(url);
  const at = (text: string) => (host && !text.includes(host) ? `${text}, requesting ${host}` : text);
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return at(`no answer within ${timeoutMs === undefined ? 'the time limit' : `${timeoutMs} ms`} (timeout)`);
  }
  const chain = causeChain(e);
  for (const link of chain) {
    const code = codeOf(link);
    if (!code) continue;
    const explained = EXPLAIN[code];
    const peer = peerOf(link, chain);
    const detail = explained ? explained(peer ?? host ?? 'the server') : messageOf(link);
    return at(`${code} (${detail})`);
  }
  const message = [...chain]
    .reverse()
    .map(messageOf)
    .find((m) => m && m !== 'fetch failed');
  return at(message ?? (e instanceof Error ? e.name : String(e)));
}

const TLS = (what: string) => (peer: string) => `TLS: ${peer} presented a certificate that ${what}`;

const EXPLAIN: Record<string, (peer: string) => string> = {
  ENOTFOUND: (peer) => `DNS: no address found for ${peer}`,
  EAI_AGAIN: (peer) => `DNS: the lookup of ${peer} failed temporarily`,
  ECONNREFUSED: (peer) => `connection refused by ${peer}: nothing listens there`,
  ECONNRESET: (peer) => `the connection to ${peer} was reset`,
  EHOSTUNREACH: (peer) => `no route to ${peer}`,
  ENETUNREACH: (peer) => `the network of ${peer} is unreachable`,
  ETIMEDOUT: (peer) => `timeout: connecting to ${peer} timed out`,
  UND_ERR_CONNECT_TIMEOUT: (peer) => `timeout: connecting to ${peer} timed out`,
  UND_ERR_HEADERS_TIMEOUT: (peer) => `timeout: ${peer} sent no response headers in time`,
  UND_ERR_BODY_TIMEOUT: (peer) => `timeout: ${peer} stopped sending the response body`,
  UND_ERR_SOCKET: (peer) => `the connection to ${peer} closed unexpectedly`,
  EPROTO: (peer) => `TLS: the handshake with ${peer} failed (is it plain HTTP?)`,
  ERR_SSL_WRONG_VERSION_NUMBER: (peer) => `TLS: the handshake with ${peer} failed (is it plain HTTP?)`,
  DEPTH_ZERO_SELF_SIGNED_CERT: TLS('is self-signed'),
  SELF_SIGNED_CERT_IN_CHAIN: TLS('chains to an untrusted self-signed CA'),
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: TLS('no trusted CA signed'),
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: TLS('no trusted CA signed'),
  CERT_HAS_EXPIRED: TLS('has expired'),
  ERR_TLS_CERT_ALTNAME_INVALID: TLS('is not valid for its name'),
};

function causeChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  let link: unknown = e;
  while (link !== undefined && link !== null && chain.length < 8 && !chain.includes(link)) {
    chain.push(link);
    if (link instanceof AggregateError && link.errors.length > 0) {
      chain.push(...link.errors.slice(0, 4));
    }
    link = (link as { cause?: unknown }).cause;
  }
  return chain;
}

function codeOf(link: unknown): string | undefined {
  const code = (link as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code !== 'ERR_INVALID_ARG_TYPE' ? code : undefined;
}

/** The address and port that refused, from the socket error (or each of an AggregateError's errors). */
function peerOf(link: unknown, chain: unknown[]): string | undefined {
  const peers = new Set<string>();
  for (const candidate of [link, ...chain]) {
    const { address, port, hostname } = (candidate ?? {}) as {
      address?: unknown;
      port?: unknown;
      hostname?: unknown;
    };
    if (typeof address === 'string') peers.add(typeof port === 'number' ? `${address}:${port}` : address);
    else if (typeof hostname === 'string') peers.add(hostname);
  }
  return peers.size > 0 ? [...peers].join(', ') : undefined;
}

function messageOf(link: unknown): string {
  return link instanceof Error ? link.message : typeof link === 'string' ? link : '';
}

function hostOf(url: URL | string): string | undefined {
  try {
    return (typeof url === 'string' ? new URL(url) : url).host;
  } catch {
    return undefined;
  }
}
