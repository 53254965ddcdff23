import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { checkControllerRouting, Delivery } from './delivery';
import { HealthCheck } from './health-check';
import type { MeshNamespace } from './mesh-namespace';
import { checkDnsLabel, checkImage, fail } from './validation';
import { checkMeshServiceProps, checkScopeAndName, checkVersionOptions, isNamespace } from './declaration-checks';
import { PropsCheck } from './props-check';
import { appProtocol, portName } from './protocol';
import type { ResilienceOptions } from './resilience';
import { ServiceTraffic } from './service-traffic';
import { MeshWorkload, WorkloadPort } from './workload';

/** CPU and memory for each container of a service. */
export interface ResourceSettings {
  /** @default '100m' */
  readonly cpuRequest?: string;
  /** @default '500m' */
  readonly cpuLimit?: string;
  /** @default '128Mi' */
  readonly memoryRequest?: string;
  /** @default '512Mi' */
  readonly memoryLimit?: string;
}

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
   * Ports it serves; container port and Service port are the same number.
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
   * CPU and memory requests and limits.
   * @default - see ResourceSettings
   */
  readonly resources?: ResourceSettings;
  /**
   * Environment variables of the container.
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * The container's command, when the image's entrypoint is not the one to run.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
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
  readonly deployment: ApiObject;
  /** Labels of this version's pods. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * A service of the mesh: its own ServiceAccount, one Deployment per version with hardened pods
 * labelled `app` and `version`, and a Service whose ports are named for their protocol.
 */
export class MeshService extends MeshWorkload {
  public readonly serviceAccountName: string;
  public readonly selector: Readonly<Record<string, string>>;
  public readonly deployed = true;
  public readonly serviceAccount: ApiObject;
  /** The Service, absent when the service serves no port. */
  public readonly service?: ApiObject;
  /** How requests reach its versions: routing (canary, split, A/B, mirror) and resilience. */
  public readonly traffic: ServiceTraffic;
  /** Where it serves Prometheus metrics (port resolved), when it does. */
  public readonly metrics?: Required<MetricsEndpoint>;
  private readonly props: MeshServiceProps;
  private readonly versionList: ServiceVersion[] = [];

  public constructor(namespace: MeshNamespace, name: string, props: MeshServiceProps) {
    super(namespace, name, checkedProps(namespace, name, props).ports ?? []);
    this.props = props;
    this.serviceAccountName = props.serviceAccountName ?? name;
    this.selector = { app: name };
    this.mesh._registerWorkload(this);
    this.validateProps();
    if (props.metrics) this.metrics = { path: props.metrics.path, port: props.metrics.port ?? this.ports[0].port };

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
          ports: this.ports.map(p => ({
            name: portName(p.protocol, p.port),
            appProtocol: appProtocol(p.protocol),
            port: p.port,
            targetPort: k8s.IntOrString.fromNumber(p.port),
            protocol: 'TCP',
          })),
        },
      });
    }
    this.addVersion(props.version ?? 'v1');
    this.traffic = new ServiceTraffic(this, this.mesh, props.resilience);
    this.mesh.renderer.renderWorkload(this);
    this.mesh.renderer.renderTraffic(this);
    if (this.delivery.controller) {
      if (this.ports.length === 0) fail(this.node.path, `${name} serves no port, so no request could judge a canary: deliver it by the release file (leave delivery unset)`);
      this.node.addValidation({ validate: () => checkControllerRouting(this.traffic.routing, this.delivery).map(e => `${e}${this.traffic.routingDeclaredIn ? ` (routes declared in ${this.traffic.routingDeclaredIn})` : ''}`) });
      this.mesh.renderer.renderDelivery(this);
    }
  }

  /** How new versions reach their traffic: the release file, or a progressive-delivery controller. */
  public get delivery(): Delivery {
    return this.props.delivery ?? Delivery.releaseFile();
  }

  /** Every version, in the order added. */
  public get versions(): readonly ServiceVersion[] {
    return this.versionList;
  }

  /** Runs another version beside the others: its own Deployment, pods labelled `version: <name>`. */
  public addVersion(version: string, options: ServiceVersionOptions = {}): ServiceVersion {
    checkVersionOptions(new PropsCheck(typeof version === 'string' && version ? `${this.node.path}/${version}` : this.node.path), version, options);
    const where = `${this.node.path}/${version}`;
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
    const deployment = new k8s.KubeDeployment(this, `Deployment-${version}`, {
      metadata: { name: `${this.name}-${version}`, namespace: this.namespace.name, labels: podLabels },
      spec: {
        replicas,
        selector: { matchLabels: podLabels },
        template: { metadata: { labels: podLabels, annotations: this.podAnnotations() }, spec: this.podSpec(image) },
      },
    });
    const entry = { name: version, image, replicas, deployment, podLabels };
    this.versionList.push(entry);
    this.mesh.renderer.renderVersion(this, entry);
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
    const firstPort = this.ports[0]?.port;
    const liveness = props.liveness ?? HealthCheck.tcp();
    const readiness = props.readiness ?? liveness;
    const resources = props.resources ?? {};
    const user = props.runAsUser ?? 10001;
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
        command: props.command,
        env: props.env ? Object.entries(props.env).map(([name, value]) => ({ name, value })) : undefined,
        ports: this.ports.map(p => ({ name: portName(p.protocol, p.port), containerPort: p.port, protocol: 'TCP' })),
        livenessProbe: liveness._toKube(firstPort),
        readinessProbe: readiness._toKube(firstPort),
        resources: {
          requests: {
            cpu: k8s.Quantity.fromString(resources.cpuRequest ?? '100m'),
            memory: k8s.Quantity.fromString(resources.memoryRequest ?? '128Mi'),
          },
          limits: {
            cpu: k8s.Quantity.fromString(resources.cpuLimit ?? '500m'),
            memory: k8s.Quantity.fromString(resources.memoryLimit ?? '512Mi'),
          },
        },
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        // A read-only root filesystem still needs somewhere to write temporary files.
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      }],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
    };
  }

  private validateProps(): void {
    const where = this.node.path;
    const dataPlane = this.mesh.renderer.dataPlane;
    for (const p of this.ports) {
      if (dataPlane.isReservedPort(p.port)) {
        fail(where, `port ${p.port} is taken by the ${dataPlane.meshName} proxy in every pod (${dataPlane.reservedPortsText}): serve the application on another port`);
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
    if (metrics) {
      if (!/^\/[^\s?#]*$/.test(metrics.path)) fail(where, `metrics path "${metrics.path}" is not an HTTP path: write it starting with "/", such as "/metrics"`);
      if (this.ports.length === 0) fail(where, `${this.name} serves no port, so it cannot serve metrics: remove metrics or declare its port`);
      if (metrics.port !== undefined && !this.ports.some(p => p.port === metrics.port)) {
        fail(where, `metrics port ${metrics.port} is not a port of ${this.name}: use one of ${this.ports.map(p => p.port).join(', ')}`);
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
