import { ApiObject, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: loading the generated Argo Rollouts module (2.6 MB) would slow every synth.
import type { RolloutSpec } from '../../../imports/argo-rollouts-argoproj.io';
import { deliveredVersion } from '../../model/delivery';
import type { MeshService, ServiceVersion } from '../../model/mesh-service';
import { carriesHttp } from '../../model/protocol';
import { DEFAULT_CANARY_STEPS } from '../../model/routing';
import { renderedJson } from '../rendered-json';
import type { IGoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';
import { analysisTemplateName, CanaryAnalysisTemplate, seconds } from './analysis-template';
import { CANARY_SUBSET, STABLE_SUBSET } from './controller-subsets';
import { httpRoutes } from './route-table';

/** The version the Rollout's pod template is (see `deliveredVersion` of the model). */
function rolloutVersion(service: MeshService): string {
  return deliveredVersion(service.traffic.routing, service.versions[0].name);
}

/** The canary's planned weights: the release's steps. */
function deliverySteps(service: MeshService): readonly number[] {
  return service.traffic.routing.canary?.steps ?? DEFAULT_CANARY_STEPS;
}

/** The names of the VirtualService routes that split between the stable and canary subsets: those the controller edits. */
function controlledRoutes(service: MeshService): string[] {
  return httpRoutes(service)
    .filter(r => (r.route ?? []).some(d => d.destination.subset === CANARY_SUBSET))
    .map(r => r.name!);
}

/**
 * An Argo Rollouts `Rollout` that takes over a service's pods (Istio subset-level traffic splitting): its pod template is
 * the Deployment of the version being delivered (`workloadRef`; every version's Deployment is kept at 0 replicas as a
 * template), its canary steps are the release's steps with a pause of `stepPause` after each, its traffic routing
 * names the VirtualService routes and the DestinationRule's `stable` and `canary` subsets, and the service's
 * AnalysisTemplate runs in the background from the first step. Validated as rendered.
 */
export class ArgoRollout extends Construct {
  public readonly rollout: ApiObject;
  /**
   * TypeScript only: other languages reach the template as a child of this construct.
   * @jsii ignore
   */
  public readonly analysisTemplate: CanaryAnalysisTemplate;
  private readonly templates = new Set<ServiceVersion>();

  public constructor(scope: Construct, id: string, private readonly service: MeshService, queries: IGoldenSignalQueries) {
    super(scope, id);
    const analysis = service.delivery.analysis!;
    this.analysisTemplate = new CanaryAnalysisTemplate(this, 'Analysis', service, () => rolloutVersion(service), queries);
    const byName = (version: string) => service.versions.find(v => v.name === version);
    const spec: RolloutSpec = {
      // The stable version's size; the controller sizes the canary to its weight.
      replicas: Lazy.any({ produce: () => byName(service.traffic.stableVersion)?.replicas }),
      selector: { matchLabels: { ...service.selector } },
      workloadRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: Lazy.any({ produce: () => byName(rolloutVersion(service))?.deployment.name ?? `${service.name}-${rolloutVersion(service)}` }),
      },
      strategy: {
        canary: {
          trafficRouting: {
            istio: {
              virtualService: { name: service.name, routes: Lazy.any({ produce: () => controlledRoutes(service) }) },
              destinationRule: { name: service.name, stableSubsetName: STABLE_SUBSET, canarySubsetName: CANARY_SUBSET },
            },
          },
          analysis: { templates: [{ templateName: analysisTemplateName(service) }], startingStep: 1 },
          steps: Lazy.any({
            produce: () => {
              const steps = deliverySteps(service);
              const pause = { pause: { duration: seconds(analysis.stepPause.toMilliseconds()) } };
              return steps.flatMap((weight, i) => (i < steps.length - 1 ? [{ setWeight: weight }, pause] : [{ setWeight: weight }]));
            },
          }),
        },
      },
    } as RolloutSpec;
    this.rollout = new ApiObject(this, 'Rollout', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: service.name, namespace: service.namespace.name, labels: { app: service.name } },
      spec,
    });
    for (const version of service.versions) this.takeOver(version);
    this.node.addValidation({ validate: () => this.validateRendered() });
  }

  /** Keeps a version's Deployment as a pod template only: the Rollout runs the pods. */
  public takeOver(version: ServiceVersion): void {
    if (this.templates.has(version)) return;
    this.templates.add(version);
    version.deployment.addJsonPatch(JsonPatch.replace('/spec/replicas', 0));
    version.deployment.metadata.addAnnotation('soma-mesh.io/pods-run-by', `Rollout/${this.service.name}`);
  }

  private validateRendered(): string[] {
    const service = this.service;
    const errors: string[] = [];
    const tcp = service.ports.filter(p => !carriesHttp(p.protocol)).map(p => p.port);
    if (tcp.length > 0) {
      errors.push(`${service.name} serves TCP on port ${tcp.join(', ')}, which Argo Rollouts cannot split by DestinationRule subset (its TCP routing needs a stable and a canary Service): serve HTTP, or deliver ${service.name} by the release file`);
    }
    const rollout = renderedJson(this.rollout);
    if (!rollout.spec.workloadRef.name || !service.versions.some(v => v.deployment.name === rollout.spec.workloadRef.name)) {
      errors.push(`the Rollout's template names version "${rolloutVersion(service)}", which ${service.name} does not run: add it with addVersion() or a release file's "versions"`);
    }
    if ((rollout.spec.strategy.canary.trafficRouting.istio.virtualService.routes ?? []).length === 0 && tcp.length === 0) {
      errors.push(`no route of ${service.name}'s VirtualService splits between the stable and canary subsets, so the controller would have nothing to step`);
    }
    return errors;
  }
}
