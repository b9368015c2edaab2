import { parseDuration } from '../config/duration.js';
import type { HookConfig } from '../config/rollout.js';
import { isRecord } from './documents.js';
import type { Note, RolloutConfigInput } from './result.js';

type Hooks = NonNullable<RolloutConfigInput['hooks']>;

const HOOK_TYPES = {
  'pre-rollout': { gating: true },
  rollout: { gating: true },
  'post-rollout': { gating: false },
  rollback: { gating: false },
} as const;

/** Flagger webhooks as glidepath hooks, one per type; gates and load-test commands are noted, not carried. */
export function hooksOf(analysis: Record<string, unknown>, analysisKey: string, note: Note): Hooks {
  const hooks: Hooks = {};
  const webhooks = Array.isArray(analysis.webhooks) ? analysis.webhooks : [];
  webhooks.forEach((webhook, i) => {
    const field = `spec.${analysisKey}.webhooks[${i}]`;
    if (!isRecord(webhook) || typeof webhook.url !== 'string') {
      note(field, 'not carried over: a webhook without a url');
      return;
    }
    // Flagger's default webhook type is rollout.
    const type = typeof webhook.type === 'string' ? webhook.type : 'rollout';
    const name = typeof webhook.name === 'string' ? webhook.name : type;
    if (!(type in HOOK_TYPES)) {
      note(
        field,
        `${name} (${type}) not carried over: glidepath has hooks for pre-rollout, rollout, post-rollout and rollback only, and no manual confirmation gates`,
      );
      return;
    }
    const key = type as keyof typeof HOOK_TYPES;
    if (hooks[key] !== undefined) {
      note(
        field,
        `${name} not carried over: glidepath has one ${type} hook, already taken by an earlier webhook`,
      );
      return;
    }
    const hook: HookConfig = { url: webhook.url, gating: HOOK_TYPES[key].gating };
    if (typeof webhook.timeout === 'string' && parseDuration(webhook.timeout) !== undefined)
      hook.timeout = webhook.timeout;
    hooks[key] = hook;
    if (webhook.metadata !== undefined) {
      note(
        `${field}.metadata`,
        `${name}: not carried over; glidepath posts its own payload to the hook, so a Flagger load tester command (metadata.cmd) must move into the hook's service`,
      );
    }
    if (type === 'rollback') {
      note(
        field,
        `${name}: Flagger polls a rollback webhook during analysis and rolls back on 2xx; glidepath calls it when a rollout rolls back`,
      );
    }
  });
  return hooks;
}
