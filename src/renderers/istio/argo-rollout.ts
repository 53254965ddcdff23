import { ApiObject, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: loading the generated Argo Rollouts module (2.6 MB) would slow every synth.
import type { RolloutSpec } from '../../../imports/argo-rollouts-argoproj.io';
import { deliveredVersion, DeliveryController } from '../../model/delivery';
import type { MeshService, ServiceVersion } from '../../model/mesh-service';
import { carriesHttp } from '../../model/protocol';
import { renderedJson } from '../rendered-json';
import type { IGoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';
import { analysisTemplateName, CanaryAnalysisTemplate, canaryThresholds } from './analysis-template';
import { CANARY_SUBSET, STABLE_SUBSET } from './controller-subsets';
import { httpRoutes } from './route-table';

/** Argo Rollouts' own default: a canary whose pods are not ready for 10 minutes has stopped progressing. */
const PROGRESS_DEADLINE_SECONDS = 600;

/** The version the Rollout's pod template is (see `deliveredVersion` of the model). */
function rolloutVersion(service: MeshService): string {
  return deliveredVersion(service.traffic.routing, service.versions[0].name);
}

/** The names of the VirtualService routes that split between the stable and canary subsets: those the controller edits. */
function controlledRoutes(service: MeshService): string[] {
  return httpRoutes(service)
    .filter(r => (r.route ?? []).some(d => d.destination.subset === CANARY_SUBSET))
    .map(r => r.name!);
}

/** The Rollout's steps: each of the delivery's weights, held `pauseSeconds` before the next; the last is 100%. */
function rolloutSteps(weights: readonly number[], pauseSeconds: number): object[] {
  const pause = { pause: { duration: `${pauseSeconds}s` } };
  return weights.flatMap((weight, i) => [{ setWeight: weight }, ...(i < weights.length - 1 ? [pause] : [])]);
}

/**
 * An Argo Rollouts `Rollout` that takes over a service's pods (Istio subset-level traffic splitting).
 *
 * - Its pod template is the Deployment of the version being delivered (`workloadRef`); a canary becomes the template
 *   only once the controller runs the stable version (its release records the controller), since a new Rollout
 *   promotes its first template at once.
 * - The switch keeps capacity: the first version's Deployment keeps its count (or its autoscaler's) and the controller
 *   scales it down as its own pods become ready (`scaleDown: progressively`); the other versions' are templates at 0.
 *   The service's autoscaler targets the Rollout.
 * - Its steps are the delivery's (never the release file's: a change of steps restarts a running canary), each held
 *   long enough for a judged measurement at the declared traffic; the AnalysisTemplate runs in the background.
 * - A canary whose pods never become ready is aborted after the progress deadline.
 */
export class ArgoRollout extends Construct {
  public readonly rollout: ApiObject;
  /**
   * TypeScript only: other languages reach the template as a child of this construct.
   * @jsii ignore
   */
  public readonly analysisTemplate: CanaryAnalysisTemplate;
  /** The HorizontalPodAutoscaler of the Rollout, when the service autoscales. */
  public readonly autoscaler?: ApiObject;
  private readonly templates = new Set<ServiceVersion>();

  public constructor(scope: Construct, id: string, private readonly service: MeshService, queries: IGoldenSignalQueries) {
    super(scope, id);
    const delivery = service.delivery;
    const analysis = delivery.analysis!;
    this.analysisTemplate = new CanaryAnalysisTemplate(this, 'Analysis', service, () => rolloutVersion(service), queries);
    const first = service.versions[0];
    const scaling = first.autoscaler ? first.autoscaler.toJson().spec : undefined;
    const byName = (version: string) => service.versions.find(v => v.name === version);
    const spec: RolloutSpec = {
      // The service's own size (its autoscaler's floor), whichever version is stable: a promotion changes no count.
      replicas: scaling?.minReplicas ?? first.replicas,
      progressDeadlineSeconds: PROGRESS_DEADLINE_SECONDS,
      progressDeadlineAbort: true,
      selector: { matchLabels: { ...service.selector } },
      workloadRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: Lazy.any({ produce: () => byName(rolloutVersion(service))?.deployment.name ?? `${service.name}-${rolloutVersion(service)}` }),
        scaleDown: 'progressively',
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
          steps: Lazy.any({ produce: () => rolloutSteps(analysis.steps, delivery.judgement()!.pauseSeconds) }),
        },
      },
    } as RolloutSpec;
    this.rollout = new ApiObject(this, 'Rollout', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: service.name, namespace: service.namespace.name, labels: { app: service.name } },
      spec,
    });
    if (scaling) {
      this.autoscaler = new ApiObject(this, 'Autoscaler', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: service.name, namespace: service.namespace.name, labels: { app: service.name } },
        spec: {
          ...scaling,
          scaleTargetRef: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: service.name },
        },
      });
    }
    for (const version of service.versions) this.takeOver(version);
    this.node.addValidation({ validate: () => this.validateRendered() });
  }

  /**
   * Keeps a version's Deployment as a pod template: the Rollout runs the pods. The first version's keeps its count,
   * which the controller scales down as the Rollout's pods become ready; any other is at 0 and starts none.
   */
  public takeOver(version: ServiceVersion): void {
    if (this.templates.has(version)) return;
    this.templates.add(version);
    if (version.autoscaler) version.autoscaler.node.scope?.node.tryRemoveChild(version.autoscaler.node.id);
    if (version !== this.service.versions[0]) version.deployment.addJsonPatch(JsonPatch.add('/spec/replicas', 0));
    version.deployment.metadata.addAnnotation('soma-mesh.io/pods-run-by', `Rollout/${this.service.name}`);
  }

  private validateRendered(): string[] {
    const service = this.service;
    const errors: string[] = [];
    const tcp = service.ports.filter(p => !carriesHttp(p.protocol)).map(p => p.port);
    if (tcp.length > 0) {
      errors.push(`${service.name} serves TCP on port ${tcp.join(', ')}, which Argo Rollouts cannot split by ` +
        `DestinationRule subset (its TCP routing needs a stable and a canary Service): serve HTTP, or deliver ` +
        `${service.name} by the release file`);
    }
    const rollout = renderedJson(this.rollout);
    if (!rollout.spec.workloadRef.name || !service.versions.some(v => v.deployment.name === rollout.spec.workloadRef.name)) {
      errors.push(`the Rollout's template names version "${rolloutVersion(service)}", which ${service.name} does ` +
        `not run: add it with addVersion() or a release file's "versions"`);
    }
    if ((rollout.spec.strategy.canary.trafficRouting.istio.virtualService.routes ?? []).length === 0 && tcp.length === 0) {
      errors.push(`no route of ${service.name}'s VirtualService splits between the stable and canary subsets, so ` +
        `the controller would have nothing to step`);
    }
    const canary = service.traffic.routing.canary;
    const steps = service.delivery.analysis!.steps;
    if (canary && canary.weight > 0 && canary.controller !== DeliveryController.ARGO_ROLLOUTS) {
      errors.push(`the canary ${canary.version} is at ${canary.weight}% by the release file, not started under Argo ` +
        `Rollouts: a Rollout created now would take ${canary.version} as its first template and promote it to 100% ` +
        `at once, without steps or analysis. Roll the canary back to 0% first (release ${service.name} rollback), ` +
        `apply that render (the Rollout starts on the stable version), then start the canary with the controller ` +
        `(release ${service.name} start ${canary.version} with --delivery argo-rollouts)`);
    }
    if (canary?.steps && JSON.stringify(canary.steps) !== JSON.stringify(steps)) {
      errors.push(`the release's canary steps ${JSON.stringify(canary.steps)} differ from the Rollout's ` +
        `${JSON.stringify(steps)}: the controller walks the delivery's steps (a change of steps restarts a running ` +
        `canary at its first step); remove the canary's steps from the release, or declare them in ` +
        `Delivery.argoRollouts({ steps })`);
    }
    errors.push(...canaryThresholds(service).errors);
    const budget = service.disruptionBudget ? renderedJson(service.disruptionBudget).spec : undefined;
    if (typeof budget?.minAvailable === 'number' && budget.minAvailable >= rollout.spec.replicas) {
      errors.push(`the disruption budget keeps ${budget.minAvailable} pods available, but the Rollout runs ` +
        `${rollout.spec.replicas}: no pod could ever be evicted; lower minAvailable below ${rollout.spec.replicas}, ` +
        `or raise the replicas`);
    }
    return errors;
  }
}
