import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { fail } from './validation';

/** A HorizontalPodAutoscaler for each version of a service, on average CPU and/or memory utilization. */
export interface AutoscalingOptions {
  /**
   * Fewest pods of each version.
   * @default 2
   */
  readonly minReplicas?: number;
  /** Most pods of each version. */
  readonly maxReplicas: number;
  /**
   * Target average CPU use, in percent of the CPU request.
   * @default - 70 when memoryUtilization is unset too; otherwise CPU is not a target
   */
  readonly cpuUtilization?: number;
  /**
   * Target average memory use, in percent of the memory request.
   * @default - memory is not a target
   */
  readonly memoryUtilization?: number;
}

/** A PodDisruptionBudget: how many of a service's pods a voluntary disruption (a node drain) may take at once. */
export interface DisruptionBudgetOptions {
  /**
   * Pods that must stay available: a count, or a percentage such as `'50%'`. Exclusive with maxUnavailable.
   * @default - unset; maxUnavailable decides
   */
  readonly minAvailable?: number | string;
  /**
   * Pods that may be unavailable at once: a count, or a percentage such as `'25%'`.
   * @default 1 (when minAvailable is unset)
   */
  readonly maxUnavailable?: number | string;
}

/** Checks and renders a workload's autoscaling and disruption budget. */
export class WorkloadScaling {
  public readonly autoscales: boolean;

  public constructor(where: string, private readonly autoscaling?: AutoscalingOptions, private readonly budget?: DisruptionBudgetOptions) {
    this.autoscales = autoscaling !== undefined;
    if (autoscaling) {
      const min = autoscaling.minReplicas ?? 2;
      if (!Number.isInteger(min) || min < 1) fail(where, `autoscaling.minReplicas ${min} is not a count of at least 1: use 1 or more`);
      if (!Number.isInteger(autoscaling.maxReplicas) || autoscaling.maxReplicas < min) {
        fail(where, `autoscaling.maxReplicas ${autoscaling.maxReplicas} is not a count of at least minReplicas (${min}): raise it`);
      }
      for (const [field, value] of [['cpuUtilization', autoscaling.cpuUtilization], ['memoryUtilization', autoscaling.memoryUtilization]] as const) {
        if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 1000)) {
          fail(where, `autoscaling.${field} ${value} is not a percentage of the request: use an integer from 1 to 1000, such as 70`);
        }
      }
    }
    if (budget) {
      if (budget.minAvailable !== undefined && budget.maxUnavailable !== undefined) {
        fail(where, 'disruptionBudget sets both minAvailable and maxUnavailable: Kubernetes takes one, so keep one');
      }
      for (const [field, value] of [['minAvailable', budget.minAvailable], ['maxUnavailable', budget.maxUnavailable]] as const) {
        if (value === undefined) continue;
        const ok = typeof value === 'number' ? Number.isInteger(value) && value >= 0 : /^(100|[1-9]?[0-9])%$/.test(value);
        if (!ok) fail(where, `disruptionBudget.${field} ${JSON.stringify(value)} is neither a count nor a percentage: use 1, or '25%'`);
      }
    }
  }

  /** The HorizontalPodAutoscaler (autoscaling/v2) of one Deployment. */
  public autoscaler(scope: Construct, id: string, deployment: k8s.KubeDeployment, labels: Record<string, string>): k8s.KubeHorizontalPodAutoscalerV2 {
    const options = this.autoscaling!;
    const cpu = options.cpuUtilization ?? (options.memoryUtilization === undefined ? 70 : undefined);
    const metric = (name: string, utilization: number): k8s.MetricSpecV2 => ({
      type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization: utilization } },
    });
    return new k8s.KubeHorizontalPodAutoscalerV2(scope, id, {
      metadata: { name: deployment.name, namespace: deployment.metadata.namespace, labels: { ...labels } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.name },
        minReplicas: options.minReplicas ?? 2,
        maxReplicas: options.maxReplicas,
        metrics: [
          ...(cpu !== undefined ? [metric('cpu', cpu)] : []),
          ...(options.memoryUtilization !== undefined ? [metric('memory', options.memoryUtilization)] : []),
        ],
      },
    });
  }

  /** The PodDisruptionBudget (policy/v1) over every pod of the workload, when one is declared. */
  public disruptionBudget(scope: Construct, selector: Record<string, string>, namespace: string, name: string): k8s.KubePodDisruptionBudget | undefined {
    const budget = this.budget;
    if (!budget) return undefined;
    const value = (v: number | string) => typeof v === 'number' ? k8s.IntOrString.fromNumber(v) : k8s.IntOrString.fromString(v);
    return new k8s.KubePodDisruptionBudget(scope, 'DisruptionBudget', {
      metadata: { name, namespace, labels: { ...selector } },
      spec: {
        selector: { matchLabels: { ...selector } },
        minAvailable: budget.minAvailable !== undefined ? value(budget.minAvailable) : undefined,
        maxUnavailable: budget.minAvailable === undefined ? value(budget.maxUnavailable ?? 1) : undefined,
      },
    });
  }
}
