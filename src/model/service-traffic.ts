import type { Call } from './call';
import { retryableMethods } from './call-resilience';
import type { Mesh } from './mesh';
import type { MeshService } from './mesh-service';
import { carriesHttp } from './protocol';
import { checkRetryBudget, checkResilience, Resilience, ResilienceOptions, resolveResilience, resolveRetries } from './resilience';
import { checkRouting, resolveSplit, TrafficRouting, versionsNamed, WeightedVersion } from './routing';
import { fail } from './validation';
import { serviceReleaseProblems } from './release-schema';
import type { IMeshWorkload } from './workload';

/**
 * How requests reach one service's versions, mesh-neutral: its routing (split, canary, A/B, mirror) and its
 * resilience (timeouts, safe retries, circuit breaking, fault drills). Declared once; the renderer reads it at synth.
 */
export class ServiceTraffic {
  /** The resilience with every default applied. */
  public readonly resilience: Resilience;
  /** The resilience as declared, without defaults: what a renderer that cannot express a setting reports. */
  public readonly declaredResilience: ResilienceOptions;
  private routingValue?: TrafficRouting;
  private routingSource?: string;

  public constructor(private readonly service: MeshService, private readonly mesh: Mesh, options: ResilienceOptions = {}) {
    const errors = checkResilience(options);
    if (errors.length > 0) fail(service.node.path, errors[0]);
    this.resilience = resolveResilience(options);
    this.declaredResilience = options;
    service.node.addValidation({ validate: () => this.validate() });
  }

  /**
   * Routes the service's requests over its versions. Declared once per service: a second declaration
   * (in code and in a release file, say) is an error naming both.
   * @param source where the routing is declared, for error messages
   */
  public route(routing: TrafficRouting, source: string = 'code'): void {
    this.mesh._checkOpen(this.service.node.path);
    const problems = serviceReleaseProblems(routing, 'routing', false);
    if (problems.length > 0) fail(this.service.node.path, `${problems[0].path}: ${problems[0].message.replace(/: /, '; ')}`);
    if (this.routingSource !== undefined) {
      fail(this.service.node.path, `the routes of ${this.service.host} are declared in two places (${this.routingSource} and ${source}): declare them once`);
    }
    this.routingValue = routing;
    this.routingSource = source;
  }

  /** The routing in force: declared, or 100% to the first version. */
  public get routing(): TrafficRouting {
    return this.routingValue ?? {};
  }

  /** Where the routing was declared, when it was. */
  public get routingDeclaredIn(): string | undefined {
    return this.routingSource;
  }

  /** The version that takes what the canary or split does not. */
  public get stableVersion(): string {
    return this.routing.stable ?? this.service.versions[0].name;
  }

  /** The split of requests that no A/B rule claims. */
  public get split(): WeightedVersion[] {
    return resolveSplit(this.routing, this.service.versions[0].name);
  }

  /** A/B callers resolved to workloads; an unknown name is left out here and reported by validation. */
  public callersOf(callers: string[] = []): IMeshWorkload[] {
    return callers.flatMap(ref => {
      try {
        return [this.mesh.workload(ref)];
      } catch {
        return [];
      }
    });
  }

  /** The calls reaching the service on one port. */
  public callsOn(port: number): Call[] {
    return this.mesh.callGraph.callsTo(this.service).filter(c => c.port === port);
  }

  private validate(): string[] {
    const service = this.service;
    const where = this.routingSource && this.routingSource !== 'code' ? ` (declared in ${this.routingSource})` : '';
    const errors = checkRouting(this.routing, service.versions[0].name).map(e => `${e}${where}`);
    const versions = new Map(service.versions.map(v => [v.name, v]));
    const known = [...versions.keys()].join(', ');
    for (const { version, where: field } of versionsNamed(this.routing)) {
      if (!versions.has(version)) {
        errors.push(`${field} routes to version "${version}", which ${service.name} does not run (it runs ${known})${where}: add it with addVersion() or a release file's "versions", or route to one of ${known}`);
      }
    }
    // A version that receives requests must have pods, or its subset selects nothing and callers get 503s.
    const routed = [...this.split.map(s => s.version), ...(this.routing.match ?? []).map(m => m.version), ...(this.routing.mirror ? [this.routing.mirror.version] : [])];
    for (const version of new Set(routed)) {
      const v = versions.get(version);
      if (v && v.replicas === 0) {
        errors.push(`version "${version}" receives requests but runs 0 replicas, so its subset selects no pod and callers would get 503s${where}: give it replicas, or route no traffic to it`);
      }
    }
    for (const [i, m] of (this.routing.match ?? []).entries()) {
      for (const ref of m.callers ?? []) {
        let caller: IMeshWorkload;
        try {
          caller = this.mesh.workload(ref);
        } catch (e) {
          errors.push(`match[${i}] names caller "${ref}": ${(e as Error).message.replace(/^\[[^\]]*\] /, '')}`);
          continue;
        }
        if (!this.mesh.callGraph.callsTo(service).some(c => c.caller === caller)) {
          errors.push(`match[${i}] routes requests from ${caller.name}, which does not call ${service.name}: declare the call with allowFrom, or remove the caller`);
        }
      }
    }
    if (service.ports.length === 0 && this.routingSource) {
      errors.push(`${service.name} serves no port, so there are no requests to route: remove its routes`);
    }
    // Every route's retry budget: the service's, and each call's that has its own timeout or retries.
    for (const call of this.mesh.callGraph.callsTo(service)) {
      if (!carriesHttp(call.protocol) || (call.timeout === undefined && call.retries === undefined)) continue;
      const timeout = call.timeout ?? this.resilience.timeout;
      const retryable = retryableMethods(this.mesh.callGraph, call);
      if (retryable !== 'any' && retryable.length === 0) continue;
      const retries = call.retries ? resolveRetries(call.retries) : this.resilience.retries;
      const error = checkRetryBudget(timeout, retries);
      if (error) errors.push(`the call from ${call.caller.name}: ${error}`);
    }
    return errors;
  }
}
