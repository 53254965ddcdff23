import { Mesh } from '../../model/mesh';
import { renderedJson } from '../rendered-json';
import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
// Types only: loading the generated networking module (1.2 MB) would cost ~0.6s on every synth.
import type { DestinationRuleSpec, VirtualServiceSpec } from '../../../imports/istio-networking.istio.io';
import type { MeshService } from '../../model/mesh-service';
import { formatDuration } from '../../model/resilience';
import { controllerSubsets } from './controller-subsets';
import { httpRoutes, tcpRoutes } from './route-table';

/** Istio-specific settings of the traffic resources. */
export interface IstioTrafficOptions {
  /**
   * Write `tls: {mode: ISTIO_MUTUAL}` on every DestinationRule, for meshes that run with auto-mTLS off.
   * No other mode is ever written: any other mode turns mTLS off for the host under STRICT.
   * @default false - left out, so Istio's auto-mTLS applies
   */
  readonly explicitMutualTls?: boolean;
}

/**
 * One VirtualService and one DestinationRule for a deployed service's host (FQDN), derived at synth from
 * its versions (the subsets), its routing and resilience, and the calls that reach it. Validated as rendered.
 */
export class IstioTrafficRoutes extends Construct {
  /**
   * The VirtualService and DestinationRule rendered for `workload`, typed, to change a field the props do not
   * offer; undefined when none is rendered.
   * Renders the mesh first when it is not yet: make escape hatches after the last declaration.
   */
  public static of(workload: IConstruct): IstioTrafficRoutes | undefined {
    Mesh.of(workload).render();
    const found = workload.node.tryFindChild(IstioTrafficRoutes.ID);
    return found instanceof IstioTrafficRoutes ? found : undefined;
  }

  /**
   * @internal the construct id under the workload
   * @jsii ignore
   */
  public static readonly ID = 'Traffic';

  public readonly virtualService: ApiObject;
  public readonly destinationRule: ApiObject;
  /** The host both resources are for. */
  public readonly host: string;

  public constructor(scope: Construct, id: string, private readonly service: MeshService, options: IstioTrafficOptions = {}) {
    super(scope, id);
    this.host = service.host;
    const metadata = { name: service.name, namespace: service.namespace.name, labels: { app: service.name } };
    const vsSpec: VirtualServiceSpec = {
      hosts: [service.host],
      http: Lazy.any({ produce: () => emptyToUndefined(httpRoutes(service)) }),
      tcp: Lazy.any({ produce: () => emptyToUndefined(tcpRoutes(service)) }),
    };
    this.virtualService = new ApiObject(this, 'VirtualService', { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata, spec: vsSpec });
    const drSpec: Omit<DestinationRuleSpec, 'trafficPolicy'> & { trafficPolicy: object } = {
      host: service.host,
      trafficPolicy: trafficPolicy(service, options),
      subsets: Lazy.any({ produce: () => controllerSubsets(service) ?? service.versions.map(v => ({ name: v.name, labels: { ...v.podLabels } })) }),
    };
    this.destinationRule = new ApiObject(this, 'DestinationRule', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata, spec: drSpec });
    this.node.addValidation({ validate: () => this.validateRendered() });
  }

  /** Checks the objects as they will be written, escape-hatch patches included. */
  private validateRendered(): string[] {
    const errors: string[] = [];
    const vs = renderedJson(this.virtualService);
    const dr = renderedJson(this.destinationRule);
    const host = this.service.host;
    for (const mode of tlsModes(dr.spec)) {
      if (mode !== 'ISTIO_MUTUAL') {
        errors.push(`DestinationRule ${dr.metadata.name} sets tls mode ${mode}, which turns Istio mTLS off for ${host} under STRICT: remove the tls block (auto-mTLS) or use ISTIO_MUTUAL`);
      }
    }
    // The pod templates' labels (podLabels are what each version's Deployment template carries).
    const templates = this.service.versions.map(v => v.podLabels);
    const subsets = new Map<string, Record<string, string>>((dr.spec.subsets ?? []).map((s: any) => [s.name, s.labels ?? {}]));
    for (const [name, labels] of subsets) {
      if (!templates.some(t => Object.entries(labels).every(([k, v]) => t[k] === v))) {
        errors.push(`subset "${name}" of ${host} has labels ${JSON.stringify(labels)} that select no pod template of ${this.service.name}: a request routed there would get a 503; derive subsets from versions`);
      }
    }
    for (const route of [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? [])]) {
      const named = route.name ? `route "${route.name}"` : 'a tcp route';
      const dests = [...(route.route ?? []).map((r: any) => r.destination), ...(route.mirror ? [route.mirror] : [])];
      for (const d of dests) {
        if (d.host !== host || !subsets.has(d.subset)) {
          errors.push(`${named} of ${host} sends to ${d.host} subset "${d.subset}", which no DestinationRule subset of ${host} defines: route to one of ${[...subsets.keys()].join(', ')}`);
        }
      }
      const sum = (route.route ?? []).reduce((s: number, r: any) => s + (r.weight ?? 0), 0);
      if (sum !== 100) errors.push(`${named} of ${host} has weights summing to ${sum}, not 100: make the percentages add up to 100`);
    }
    return errors;
  }
}

/** The DestinationRule's trafficPolicy, in the CRD's own field names (the schema test checks every field). */
export function trafficPolicy(service: MeshService, options: IstioTrafficOptions): object {
  const r = service.traffic.resilience;
  const pool = r.connectionPool;
  const outlier = r.outlierDetection;
  return {
    loadBalancer: r.loadBalancing ? { simple: r.loadBalancing } : undefined,
    connectionPool: {
      tcp: { maxConnections: pool.maxConnections, connectTimeout: pool.connectTimeout ? formatDuration(pool.connectTimeout) : undefined },
      http: {
        http1MaxPendingRequests: pool.maxPendingRequests,
        http2MaxRequests: pool.maxRequests,
        maxRequestsPerConnection: pool.maxRequestsPerConnection,
      },
    },
    outlierDetection: {
      consecutive5xxErrors: outlier.consecutiveServerErrors,
      interval: formatDuration(outlier.interval),
      baseEjectionTime: formatDuration(outlier.baseEjectionTime),
      maxEjectionPercent: outlier.maxEjectionPercent,
    },
    tls: options.explicitMutualTls ? { mode: 'ISTIO_MUTUAL' } : undefined,
  };
}

/** Every `tls.mode` anywhere in a DestinationRule spec (top level, per port, per subset). */
function tlsModes(value: any): string[] {
  if (!value || typeof value !== 'object') return [];
  const own = value.tls && typeof value.tls === 'object' && 'mode' in value.tls ? [String(value.tls.mode)] : [];
  return [...own, ...Object.values(value).flatMap(tlsModes)];
}

function emptyToUndefined<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}
