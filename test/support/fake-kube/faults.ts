/** The Kubernetes verbs a request maps to; server-side apply is a `patch`. */
export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface FaultSpec {
  /** Only requests with this verb (default: any verb). */
  verb?: Verb;
  /** Only requests for this resource (plural, e.g. `deployments`; default: any). */
  plural?: string;
  /** Only requests for this object name (default: any). */
  name?: string;
  /** conflict: 409 Conflict; status500: 500 InternalError; slow: answer after delayMs; drop: close the socket unanswered. */
  kind: 'conflict' | 'status500' | 'slow' | 'drop';
  /** How many matching requests it hits (default 1; Infinity until cleared). */
  times?: number;
  /** For `slow`. */
  delayMs?: number;
}

export interface Fault {
  readonly spec: FaultSpec;
  /** Matching requests it has hit so far. */
  readonly hits: number;
  clear(): void;
}

interface ActiveFault extends Fault {
  hits: number;
  remaining: number;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  inject(spec: FaultSpec): Fault {
    const fault: ActiveFault = {
      spec,
      hits: 0,
      remaining: spec.times ?? 1,
      clear: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  get active(): number {
    return this.faults.length;
  }

  /** The fault that hits this request, consuming one of its `times`. */
  take(verb: Verb, plural: string, name: string | undefined): FaultSpec | undefined {
    const fault = this.faults.find(
      (f) =>
        (f.spec.verb === undefined || f.spec.verb === verb) &&
        (f.spec.plural === undefined || f.spec.plural === plural) &&
        (f.spec.name === undefined || f.spec.name === name),
    );
    if (!fault) return undefined;
    fault.hits += 1;
    fault.remaining -= 1;
    if (fault.remaining <= 0) fault.clear();
    return fault.spec;
  }
}
