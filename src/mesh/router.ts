import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/client.js';

/** Percent of traffic per track; always sums to 100 (Istio before 1.15 demands it, and it reads plainly). */
export interface Weights {
  primary: number;
  canary: number;
}

export const ALL_PRIMARY: Weights = { primary: 100, canary: 0 };

/** Names every router agrees on: `<svc>-primary` / `<svc>-canary` and the track label. */
export interface RouteTarget {
  service: string;
  namespace: string;
}

export const TRACK_LABEL = 'glidepath.dev/track';

export function primaryName(service: string): string {
  return `${service}-primary`;
}

export function canaryName(service: string): string {
  return `${service}-canary`;
}

/** A write a router would make; in dry-run it is printed instead of sent. */
export interface PlannedWrite {
  verb: 'create' | 'apply' | 'update';
  object: KubernetesObject;
}

/**
 * The traffic seam: everything outside src/mesh/ moves traffic through this
 * and never learns which mesh carries it.
 */
export interface TrafficRouter {
  readonly provider: string;
  /**
   * Reads the cluster and checks that routing can work (the user's route
   * exists and points at the service, its weights are readable), writing
   * nothing; returns the objects `ensure` would create or change.
   */
  validate(): Promise<PlannedWrite[]>;
  /** Creates what is missing (subsets, Services, the managed route) without moving traffic. */
  ensure(): Promise<void>;
  /** Sets the split, then reads it back from the cluster and returns what it found. */
  setWeights(weights: Weights): Promise<Weights>;
  /** The split the cluster has now, or undefined when glidepath has not set one up. */
  getWeights(): Promise<Weights | undefined>;
  /** 100 % primary. Safe to call at any time, including when ensure never ran. */
  reset(): Promise<Weights>;
  /** The field manager other than glidepath that last wrote the route's weights, if any (for a clear abort). */
  weightsWriter?(): Promise<string | undefined>;
}

export interface RouterContext {
  target: RouteTarget;
  kube: KubeClients;
  /** Injected so that waiting for a route to be reconciled runs in simulated time in tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Throws unless `weights` are whole percentages from 0 to 100 that sum to 100. */
export function assertWeights(weights: Weights): void {
  const { primary, canary } = weights;
  const whole = (n: number) => Number.isInteger(n) && n >= 0 && n <= 100;
  if (!whole(primary) || !whole(canary) || primary + canary !== 100) {
    throw new RangeError(
      `expected whole percentages from 0 to 100 that sum to 100, got primary ${primary} and canary ${canary}`,
    );
  }
}

/**
 * Percentages from the relative weights a mesh stores (Istio since 1.15, Gateway API and SMI
 * treat weights as proportions), rounded so they still sum to 100; undefined when both are 0.
 */
export function weightsFromRelative(primary: number, canary: number): Weights | undefined {
  const total = primary + canary;
  if (!(total > 0)) return undefined;
  const canaryPercent = Math.round((canary / total) * 100);
  return { primary: 100 - canaryPercent, canary: canaryPercent };
}
