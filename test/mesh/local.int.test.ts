import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalProxy,
  SmoothWeightedPicker,
  startLocalProxy,
  TRACK_HEADER,
} from '../../src/mesh/local.js';

/** An upstream that answers with its own name and echoes the path and a request header. */
async function upstream(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      res.writeHead(name === 'canary' && req.url === '/fail' ? 503 : 200, {
        'content-type': 'application/json',
      });
      res.end(
        JSON.stringify({ name, path: req.url, method: req.method, body, probe: req.headers['x-probe'] }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the playground local proxy', () => {
  let primary: Awaited<ReturnType<typeof upstream>>;
  let canary: Awaited<ReturnType<typeof upstream>>;
  let proxy: LocalProxy;
  beforeAll(async () => {
    primary = await upstream('primary');
    canary = await upstream('canary');
    proxy = await startLocalProxy({ primaryUrl: primary.url, canaryUrl: canary.url });
  });
  afterAll(async () => {
    await proxy.stop();
    primary.server.close();
    canary.server.close();
  });

  async function send(n: number, path = '/'): Promise<string[]> {
    const tracks: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${proxy.url}${path}`, { headers: { 'x-probe': 'yes' } });
      const body = (await res.json()) as { name: string; probe: string };
      expect(body.probe).toBe('yes');
      expect(res.headers.get(TRACK_HEADER)).toBe(body.name === 'primary' ? 'stable' : 'canary');
      tracks.push(body.name);
    }
    return tracks;
  }

  it('sends everything to primary until told otherwise', async () => {
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await proxy.router.getWeights()).toEqual({ primary: 100, canary: 0 });
    expect(new Set(await send(10))).toEqual(new Set(['primary']));
  });

  it('splits real requests exactly by weight: 10 % is 1 in every 10', async () => {
    const router = proxy.router;
    expect(await router.setWeights({ primary: 90, canary: 10 })).toEqual({ primary: 90, canary: 10 });
    for (let round = 0; round < 3; round++) {
      const tracks = await send(10);
      expect(tracks.filter((t) => t === 'canary')).toHaveLength(1);
    }
    await router.setWeights({ primary: 75, canary: 25 });
    const before = proxy.counts;
    const tracks = await send(100);
    expect(tracks.filter((t) => t === 'canary')).toHaveLength(25);
    expect(proxy.counts.canary - before.canary).toBe(25);
    expect(proxy.counts.primary - before.primary).toBe(75);
  });

  it('passes the upstream status, method, path and body through', async () => {
    await proxy.router.setWeights({ primary: 0, canary: 100 });
    const res = await fetch(`${proxy.url}/fail`);
    expect(res.status).toBe(503);
    const post = await fetch(`${proxy.url}/orders?x=1`, { method: 'POST', body: 'hello' });
    expect(await post.json()).toMatchObject({
      name: 'canary',
      path: '/orders?x=1',
      method: 'POST',
      body: 'hello',
    });
  });

  it('resets to 100 % primary', async () => {
    expect(await proxy.router.reset()).toEqual({ primary: 100, canary: 0 });
    expect(new Set(await send(5))).toEqual(new Set(['primary']));
    expect(await proxy.router.validate()).toEqual([]);
  });
});

describe('smooth weighted round-robin', () => {
  it('gives each track exactly its weight in every 100 picks, spread evenly', () => {
    const picker = new SmoothWeightedPicker();
    for (const canary of [0, 1, 5, 10, 25, 50, 99, 100]) {
      picker.set({ primary: 100 - canary, canary });
      const picks = Array.from({ length: 200 }, () => picker.next());
      expect(picks.slice(0, 100).filter((p) => p === 'canary')).toHaveLength(canary);
      expect(picks.slice(100).filter((p) => p === 'canary')).toHaveLength(canary);
    }
    picker.set({ primary: 50, canary: 50 });
    expect(Array.from({ length: 4 }, () => picker.next())).toEqual([
      'primary',
      'canary',
      'primary',
      'canary',
    ]);
  });
});
