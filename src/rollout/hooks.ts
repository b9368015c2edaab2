import type { HookPhase, HookSpec } from '../config/load-rollout.js';

export interface HookResult {
  phase: HookPhase;
  url: string;
  status?: number;
  ok: boolean;
  gating: boolean;
  reason: string;
}

/** `signal` cancels the call (the job was cancelled); the hook's own timeout applies as well. */
export type HookCaller = (
  phase: HookPhase,
  hook: HookSpec,
  body: unknown,
  signal?: AbortSignal,
) => Promise<HookResult>;

/**
 * POSTs the rollout's description as JSON. A gating hook that answers
 * non-2xx, times out or cannot be reached fails the step.
 */
export const callHook: HookCaller = async (phase, hook, body, signal) => {
  const target = new URL(hook.url);
  const shown = `${target.origin}${target.pathname}`;
  try {
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'glidepath', ...hook.headers },
      // `name`, `namespace`, `phase` and `metadata` are the fields of Flagger's CanaryWebhookPayload
      // (fluxcd/flagger pkg/apis/flagger/v1beta1), so Flagger's load tester and its kin accept our calls.
      body: JSON.stringify({
        phase,
        ...(body as object),
        ...(hook.metadata ? { metadata: hook.metadata } : {}),
        ...(typeof (body as { service?: unknown }).service === 'string'
          ? { name: (body as { service: string }).service }
          : {}),
      }),
      signal: signal
        ? AbortSignal.any([AbortSignal.timeout(hook.timeoutMs), signal])
        : AbortSignal.timeout(hook.timeoutMs),
    });
    const text = (await response.text()).slice(0, 200);
    return {
      phase,
      url: shown,
      status: response.status,
      ok: response.ok,
      gating: hook.gating,
      reason: response.ok
        ? `answered ${response.status}`
        : `answered ${response.status}${text ? `: ${text}` : ''}`,
    };
  } catch (e: unknown) {
    const reason =
      e instanceof Error && e.name === 'TimeoutError'
        ? `no answer within ${hook.timeoutMs} ms`
        : `unreachable: ${e instanceof Error ? e.message : String(e)}`;
    return { phase, url: shown, ok: false, gating: hook.gating, reason };
  }
};
