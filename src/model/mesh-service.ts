import { Lazy } from 'cdk8s';
import { ContainerResources, EnvFrom, EnvValue, k8s, VolumeMount } from 'cdk8s-plus-28';
import { containerResources, envFromSource, envVar, podVolumes, volumeMount } from './cdk8s-plus-interop';
import { AdoptedWorkload, AdoptedWorkloadProps } from './adopted-workload';
import { checkControllerRouting, Delivery } from './delivery';
import { HealthCheck } from './health-check';
import type { MeshNamespace } from './mesh-namespace';
import { checkDnsLabel, checkImage, fail } from './validation';
import { checkMeshServiceProps, checkScopeAndName, checkVersionOptions, isNamespace } from './declaration-checks';
import { PropsCheck } from './props-check';
import { portName } from './protocol';
import type { ResilienceOptions } from './resilience';
import { ServiceTraffic } from './service-traffic';
import { MeshWorkload, WorkloadPort } from './workload';
import { AutoscalingOptions, DisruptionBudgetOptions, WorkloadScaling } from './workload-scaling';
import { servicePorts } from './service-ports';

/** Where a service serves its Prometheus metrics. */
export interface MetricsEndpoint {
  /** The HTTP path, for example `/metrics`. */
  readonly path: string;
  /**
   * The container port.
   * @default - the service's first port
   */
  readonly port?: number;
}

/** Where a service serves its Prometheus metrics, its port resolved. */
export interface ResolvedMetricsEndpoint {
  /** The HTTP path, for example `/metrics`. */
  readonly path: string;
  /** The container port. */
  readonly port: number;
}

/** One version of a service: its own Deployment and pods labelled `version: <name>`. */
export interface ServiceVersionOptions {
  /**
   * The container image, with a pinned tag or digest (never `latest`).
   * @default - the service's image
   */
  readonly image?: string;
  /**
   * Pods of this version.
   * @default - the service's replicas
   */
  readonly replicas?: number;
}

/** A service the mesh deploys. */
export interface MeshServiceProps {
  /** The container image, with a pinned tag or digest (never `latest`). */
  readonly image: string;
  /**
   * Ports it serves: each a Service port and the container port behind it (`{ port: 80, targetPort: 8080 }`).
   * @default - none: a worker that only calls others, deployed without a Service
   */
  readonly ports?: WorkloadPort[];
  /**
   * The name of its first version, the `version` label of its pods.
   * @default 'v1'
   */
  readonly version?: string;
  /**
   * Pods of each version.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Its ServiceAccount: the workload's own mTLS identity, never `default`.
   * @default - the service's name
   */
  readonly serviceAccountName?: string;
  /**
   * How the kubelet tells the container is alive.
   * @default - a TCP check on its first port; required when it serves no port
   */
  readonly liveness?: HealthCheck;
  /**
   * How the kubelet tells the container is ready for traffic.
   * @default - the liveness check
   */
  readonly readiness?: HealthCheck;
  /**
   * CPU and memory requests and limits, in cdk8s-plus terms (`{ cpu: { request: Cpu.millis(100) }, memory: { limit: Size.mebibytes(512) } }`).
   * @default - CPU 100m request, 500m limit; memory 128Mi request, 512Mi limit (each unset field keeps its default)
   */
  readonly resources?: ContainerResources;
  /**
   * Environment variables of the container: a literal string, or a cdk8s-plus `EnvValue`
   * (`EnvValue.fromSecretValue({ secret, key })`, `EnvValue.fromConfigMap(configMap, key)`, `EnvValue.fromFieldRef(...)`).
   * Variables that hold a callee's address come from the call graph instead: `allowFrom(caller, { env })`.
   * @default - none
   */
  readonly env?: Record<string, string | EnvValue>;
  /**
   * Every key of a Secret or ConfigMap as environment variables: `Env.fromSecret(secret)`, `Env.fromConfigMap(configMap, prefix)`.
   * @default - none
   */
  readonly envFrom?: EnvFrom[];
  /**
   * Volumes mounted into the container, in cdk8s-plus terms: `{ path: '/cache', volume: Volume.fromEmptyDir(chart, 'Cache', 'cache') }`,
   * and `Volume.fromSecret`, `Volume.fromConfigMap`, `Volume.fromPersistentVolumeClaim`. The root filesystem stays read-only.
   * @default - only a 64Mi emptyDir at /tmp (left out when a mount of yours covers /tmp)
   */
  readonly volumeMounts?: VolumeMount[];
  /**
   * The container's command, when the image's entrypoint is not the one to run.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * The container's arguments.
   * @default - the image's
   */
  readonly args?: string[];
  /**
   * The numeric user the container runs as; never 0 (root) or the mesh proxy's own (Istio 1337, Linkerd 2102).
   * @default 10001
   */
  readonly runAsUser?: number;
  /**
   * Where the application serves Prometheus metrics, announced with `prometheus.io/*` pod annotations. How
   * Prometheus reaches them under mTLS is the renderer's: Istio merges them into its agent's port 15020; under
   * Linkerd, Prometheus scrapes the port itself.
   * @default - none: Prometheus scrapes only the proxy's own metrics
   */
  readonly metrics?: MetricsEndpoint;
  /**
   * Timeouts, safe retries, circuit breaking and fault drills of requests to this service.
   * @default - see ResilienceOptions: 30s timeout, 2 retries of idempotent requests only, connection limits, outlier ejection
   */
  readonly resilience?: ResilienceOptions;
  /**
   * A HorizontalPodAutoscaler for each version, on CPU and/or memory utilization. The Deployments then leave
   * their replica count to it; a version added with its own `replicas` (a small canary, or 0) keeps that count.
   * With delivery by a progressive-delivery controller, one autoscaler of the controller's workload (a Rollout) instead.
   * @default - none: each version runs `replicas` pods
   */
  readonly autoscaling?: AutoscalingOptions;
  /**
   * A PodDisruptionBudget over all the service's pods, so that node drains keep it serving.
   * @default - none
   */
  readonly disruptionBudget?: DisruptionBudgetOptions;
  /**
   * How new versions reach their traffic: by the release file (a person moves each step; the render carries the
   * weights), or by a progressive-delivery controller that steps the weights and judges the canary from the golden
   * signals, as `Delivery.argoRollouts({ maxServerErrorRatio: 0.01 })`.
   * @default Delivery.releaseFile()
   */
  readonly delivery?: Delivery;
}

/** The Deployment of one version of a service. */
export interface ServiceVersion {
  readonly name: string;
  readonly image: string;
  readonly replicas: number;
  /** Its Deployment, typed: change one field with `deployment.addJsonPatch(JsonPatch.replace(...))`. */
  readonly deployment: k8s.KubeDeployment;
  /** Its HorizontalPodAutoscaler, when the service autoscales and this version runs pods. */
  readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** Labels of this version's pods. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * A service of the mesh: its own ServiceAccount, one Deployment per version with hardened pods
 * labelled `app` and `version`, and a Service whose ports are named for their protocol.
 */
export class MeshService extends MeshWorkload {
  /**
   * Brings a cdk8s-plus Deployment or StatefulSet your chart already builds into the mesh, under `name`:
   * it then calls and is called like a MeshService. See AdoptedWorkload.
   */
  public static adopt(namespace: MeshNamespace, name: string, props: AdoptedWorkloadProps): AdoptedWorkload {
    return new AdoptedWorkload(namespace, name, props);
  }

  public readonly serviceAccountName: string;
  public readonly selector: Readonly<Record<string, string>>;
  public readonly deployed = true;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Service, absent when the service serves no port. */
  public readonly service?: k8s.KubeService;
  /** The PodDisruptionBudget, when `disruptionBudget` is set. */
  public readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
  /** How requests reach its versions: routing (canary, split, A/B, mirror) and resilience. */
  public readonly traffic: ServiceTraffic;
  /** Where it serves Prometheus metrics (port resolved), when it does. */
  public readonly metrics?: ResolvedMetricsEndpoint;
  private readonly props: MeshServiceProps;
  private readonly versionList: ServiceVersion[] = [];
  private readonly scaling: WorkloadScaling;

  public constructor(namespace: MeshNamespace, name: string, props: MeshServiceProps) {
    super(namespace, name, checkedProps(namespace, name, props).ports ?? []);
    this.props = props;
    this.serviceAccountName = props.serviceAccountName ?? name;
    this.selector = { app: name };
    this.mesh._registerWorkload(this);
    this.validateProps();
    this.scaling = new WorkloadScaling(this.node.path, props.autoscaling, props.disruptionBudget);
    if (props.metrics) this.metrics = { path: props.metrics.path, port: props.metrics.port ?? this.ports[0].targetPort };

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.serviceAccountName, namespace: namespace.name, labels: { app: name } },
      // The app needs no Kubernetes API token; the proxy gets its own identity token from the mesh.
      automountServiceAccountToken: false,
    });
    if (this.ports.length > 0) {
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: { name, namespace: namespace.name, labels: { app: name } },
        spec: {
          selector: { ...this.selector },
          ports: servicePorts(this.ports),
        },
      });
    }
    this.disruptionBudget = this.scaling.disruptionBudget(this, { ...this.selector }, namespace.name, name);
    this.addVersion(props.version ?? 'v1');
    this.traffic = new ServiceTraffic(this, this.mesh, props.resilience);
    if (this.delivery.controller) {
      if (this.ports.length === 0) fail(this.node.path, `${name} serves no port, so no request could judge a canary: deliver it by the release file (leave delivery unset)`);
      this.node.addValidation({ validate: () => checkControllerRouting(this.traffic.routing, this.delivery).map(e => `${e}${this.traffic.routingDeclaredIn ? ` (routes declared in ${this.traffic.routingDeclaredIn})` : ''}`) });
    }
  }

  /** How new versions reach their traffic: the release file, or a progressive-delivery controller. */
  public get delivery(): Delivery {
    return this.props.delivery ?? Delivery.releaseFile();
  }

  /** Every version, in the order added. */
  public get versions(): ServiceVersion[] {
    return this.versionList;
  }

  /** Runs another version beside the others: its own Deployment, pods labelled `version: <name>`. */
  public addVersion(version: string, options: ServiceVersionOptions = {}): ServiceVersion {
    checkVersionOptions(new PropsCheck(typeof version === 'string' && version ? `${this.node.path}/${version}` : this.node.path), version, options);
    const where = `${this.node.path}/${version}`;
    this.mesh._checkOpen(where);
    const nameError = checkDnsLabel('version', version);
    if (nameError) fail(where, nameError);
    if (this.versionList.some(v => v.name === version)) {
      fail(where, `version "${version}" of ${this.name} is declared twice: give each version its own name`);
    }
    const image = options.image ?? this.props.image;
    const imageError = checkImage(image);
    if (imageError) fail(where, imageError);
    const replicas = options.replicas ?? this.props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 0) fail(where, `replicas ${replicas} is not a count: use 0 or more`);
    const podLabels = { ...this.selector, version };
    // A version given its own count (a small canary) keeps it; 0 replicas (rolled back) stays 0.
    const autoscaled = this.scaling.autoscales && options.replicas === undefined && replicas > 0;
    const deployment = new k8s.KubeDeployment(this, `Deployment-${version}`, {
      metadata: { name: `${this.name}-${version}`, namespace: this.namespace.name, labels: podLabels },
      spec: {
        // Under an autoscaler the count is its business: a fixed one would be reset at every apply.
        replicas: autoscaled ? undefined : replicas,
        selector: { matchLabels: podLabels },
        template: { metadata: { labels: podLabels, annotations: this.podAnnotations() }, spec: this.podSpec(image) },
      },
    });
    const autoscaler = autoscaled ? this.scaling.autoscaler(this, `Autoscaler-${version}`, deployment, podLabels) : undefined;
    const entry = { name: version, image, replicas, deployment, autoscaler, podLabels };
    this.versionList.push(entry);
    return entry;
  }

  private podAnnotations(): Record<string, string> | undefined {
    const metrics = this.metrics;
    if (!metrics) return undefined;
    return {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(metrics.port),
      'prometheus.io/path': metrics.path,
    };
  }

  private podSpec(image: string): k8s.PodSpec {
    const props = this.props;
    const where = this.node.path;
    const firstPort = this.ports[0]?.targetPort;
    const liveness = props.liveness ?? HealthCheck.tcp();
    const readiness = props.readiness ?? liveness;
    const user = props.runAsUser ?? 10001;
    const mounts = props.volumeMounts ?? [];
    // A read-only root filesystem still needs somewhere to write temporary files, unless a mount covers /tmp.
    const tmp = mounts.some(m => m.path === '/tmp') ? [] : [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }];
    return {
      serviceAccountName: this.serviceAccountName,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: user,
        runAsGroup: user,
        fsGroup: user,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [{
        name: this.name,
        image,
        imagePullPolicy: 'IfNotPresent',
        command: props.command ? [...props.command] : undefined,
        args: props.args ? [...props.args] : undefined,
        // Read at synth: calls that name an env var, declared after the service, add the callee's URL.
        env: Lazy.any({ produce: () => this.envVars() }),
        envFrom: props.envFrom && props.envFrom.length > 0 ? props.envFrom.map(envFromSource) : undefined,
        ports: this.ports.map(p => ({ name: portName(p.protocol, p.targetPort), containerPort: p.targetPort, protocol: 'TCP' })),
        livenessProbe: liveness._toKube(firstPort, where),
        readinessProbe: readiness._toKube(firstPort, where),
        resources: containerResources(where, props.resources),
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        volumeMounts: [...tmp.map(v => ({ name: v.name, mountPath: '/tmp' })), ...mounts.map(volumeMount)],
      }],
      volumes: [...tmp, ...podVolumes(where, mounts, tmp.map(v => v.name))],
    };
  }

  /** The declared variables, then one per call of this service that names a variable: the callee's in-mesh URL. */
  private envVars(): k8s.EnvVar[] | undefined {
    const declared = Object.entries(this.props.env ?? {}).map(([name, value]) => envVar(name, value));
    const discovered = this.mesh.callGraph.callsFrom(this).flatMap(c => c.env ? [{ name: c.env.name, value: c.env.value }] : []);
    const all = [...declared, ...discovered];
    return all.length > 0 ? all : undefined;
  }

  private validateProps(): void {
    const where = this.node.path;
    const dataPlane = this.mesh.renderer.dataPlane;
    for (const p of this.ports) {
      if (dataPlane.isReservedPort(p.targetPort)) {
        fail(where, `port ${p.targetPort} is taken by the ${dataPlane.meshName} proxy in every pod (${dataPlane.reservedPortsText}): serve the application on another port`);
      }
    }
    if (this.props.delivery !== undefined && !(this.props.delivery instanceof Delivery)) {
      fail(where, 'delivery is not a Delivery: use Delivery.releaseFile() or Delivery.argoRollouts({...})');
    }
    const deliveryError = this.props.delivery?.check()[0];
    if (deliveryError) fail(where, `delivery by ${this.props.delivery!.description}: ${deliveryError}`);
    const saError = checkDnsLabel('service account name', this.serviceAccountName);
    if (saError) fail(where, saError);
    const metrics = this.props.metrics;
    for (const name of Object.keys(this.props.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) fail(where, `env "${name}" is not an environment variable name: use letters, digits, '_', '.' and '-', not starting with a digit`);
    }
    // A variable of env and one from a call would both be rendered, and the container would see only one.
    this.node.addValidation({
      validate: () => this.mesh.callGraph.callsFrom(this)
        .filter(c => c.env && this.props.env && Object.prototype.hasOwnProperty.call(this.props.env, c.env.name))
        .map(c => `[${where}] env ${c.env!.name} is set here and by the call to ${c.callee.name}: remove it from env, the call graph gives its value`),
    });
    if (metrics) {
      if (!/^\/[^\s?#]*$/.test(metrics.path)) fail(where, `metrics path "${metrics.path}" is not an HTTP path: write it starting with "/", such as "/metrics"`);
      if (this.ports.length === 0) fail(where, `${this.name} serves no port, so it cannot serve metrics: remove metrics or declare its port`);
      if (metrics.port !== undefined && !this.ports.some(p => p.targetPort === metrics.port)) {
        fail(where, `metrics port ${metrics.port} is not a port of ${this.name}: use one of ${this.ports.map(p => p.targetPort).join(', ')}`);
      }
    }
    if (this.serviceAccountName === 'default') {
      fail(where, 'service account "default" is shared by every pod of the namespace, so callers could not be told apart: leave serviceAccountName unset to use the service\'s own');
    }
    const user = this.props.runAsUser;
    if (user === 0) fail(where, 'runAsUser 0 is root: use another user id, such as 10001');
    if (user !== undefined && dataPlane.reservedUserIds.includes(user)) {
      fail(where, `runAsUser ${user} is the ${dataPlane.meshName} proxy's user, whose traffic bypasses the mesh: use another user id, such as 10001`);
    }
    const needsPort = (this.props.liveness ?? HealthCheck.tcp()).needsPort || (this.props.readiness?.needsPort ?? false);
    if (needsPort && this.ports.length === 0) {
      fail(where, `${this.name} serves no port, so its health checks need a port or a command: set liveness (and readiness) to HealthCheck.command([...]) or give the check a port`);
    }
  }
}

/** Every prop's type and range, before anything is made. */
function checkedProps(namespace: MeshNamespace, name: string, props: MeshServiceProps): MeshServiceProps {
  const at = checkScopeAndName(namespace, 'MeshNamespace', isNamespace, name, 'name', 'new MeshService(namespace, "web", { image: "example/web:1.4.2" })');
  checkMeshServiceProps(at, props);
  return props;
}
