import { ApiObject, JsonPatch } from 'cdk8s';
import { Container, Deployment, EnvValue, k8s, StatefulSet } from 'cdk8s-plus-28';
import type { MeshNamespace } from './mesh-namespace';
import { appProtocol, Protocol, portName } from './protocol';
import { checkDnsLabel, fail } from './validation';
import { checkPorts, checkScopeAndName, isNamespace } from './declaration-checks';
import { MeshWorkload, WorkloadPort } from './workload';
import { servicePorts } from './service-ports';

/** A cdk8s-plus Deployment or StatefulSet of your own chart, brought into the mesh. */
export interface AdoptedWorkloadProps {
  /** The workload, built with cdk8s-plus in the same App. Its pods get the label `app: <name>` and the mesh's identity. */
  readonly workload: Deployment | StatefulSet;
  /**
   * Ports it serves: Service port and container port (`{ port: 80, targetPort: 8080 }`), with their protocol.
   * Each container port must be one its containers declare; those ports are named for their protocol.
   * @default - every port its containers declare, as HTTP, Service port = container port
   */
  readonly ports?: WorkloadPort[];
  /**
   * The ServiceAccount its pods run as, when the workload names none: created here, as its own mTLS identity.
   * @default - the workload's own ServiceAccount when it has one, else one named after the workload
   */
  readonly serviceAccountName?: string;
  /**
   * The container that receives the in-mesh URLs of calls that name an env var.
   * @default - its first container
   */
  readonly container?: Container;
  /**
   * Render a Service named after the workload, with ports named for their protocol, as the address callers use.
   * Set false when your chart already has a Service of that name with named ports.
   * @default true (when it serves ports)
   */
  readonly service?: boolean;
}

/**
 * A workload your chart already builds with cdk8s-plus, adopted by the mesh: its pods are labelled
 * `app: <name>`, its ServiceAccount is its own identity (created when it has none), its container ports are
 * named for their protocol and a Service of that name is rendered. It then calls and is called like a
 * MeshService: its callers' policies, its proxy scoping and its NetworkPolicy come from the call graph.
 */
export class AdoptedWorkload extends MeshWorkload {
  public readonly serviceAccountName: string;
  public readonly selector: Readonly<Record<string, string>>;
  public readonly deployed = true;
  /** The adopted cdk8s-plus workload. */
  public readonly workload: Deployment | StatefulSet;
  /** The ServiceAccount created for it, when the workload named none. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The Service callers reach it by, absent when it serves no port or `service: false`. */
  public readonly service?: k8s.KubeService;
  private readonly target?: Container;

  public constructor(namespace: MeshNamespace, name: string, props: AdoptedWorkloadProps) {
    const workload = checkedProps(namespace, name, props).workload;
    const containers = workload.containers;
    super(namespace, name, props.ports ?? declaredPorts(containers));
    const where = this.node.path;
    this.workload = workload;
    const object = ApiObject.of(workload);
    if (Object.is(workload.node.root, this.node.root) === false) fail(where, 'the workload belongs to another App: adopt it into a mesh of its own App');

    const ns = workload.metadata.namespace;
    if (ns !== undefined && ns !== namespace.name) {
      fail(where, `the workload is in namespace "${ns}", not "${namespace.name}": adopt it into the MeshNamespace "${ns}", or build it in "${namespace.name}"`);
    }
    if (ns === undefined) object.addJsonPatch(JsonPatch.add('/metadata/namespace', namespace.name));

    const app = workload.podMetadata.getLabel('app');
    if (app !== undefined && app !== name) fail(where, `its pods are labelled app=${app}: adopt it under the name "${app}", or remove that label`);
    if (app === undefined) workload.podMetadata.addLabel('app', name);
    this.selector = { app: name };

    const own = workload.serviceAccount?.name;
    if (own === 'default') fail(where, 'its pods run as the ServiceAccount "default", shared by every pod of the namespace, so callers could not be told apart: give it its own, or leave it unset');
    if (own !== undefined && props.serviceAccountName !== undefined && props.serviceAccountName !== own) {
      fail(where, `serviceAccountName "${props.serviceAccountName}" differs from the workload's own ServiceAccount "${own}": remove serviceAccountName`);
    }
    this.serviceAccountName = own ?? props.serviceAccountName ?? name;
    const saError = checkDnsLabel('service account name', this.serviceAccountName);
    if (saError) fail(where, saError);
    if (own === undefined) {
      this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
        metadata: { name: this.serviceAccountName, namespace: namespace.name, labels: { app: name } },
        automountServiceAccountToken: false,
      });
      object.addJsonPatch(JsonPatch.add('/spec/template/spec/serviceAccountName', this.serviceAccountName));
    }

    this.namePorts(object, containers);
    if (workload instanceof StatefulSet) this.nameServicePorts(workload);
    if (this.ports.length > 0 && props.service !== false) {
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: { name, namespace: namespace.name, labels: { app: name } },
        spec: {
          selector: { ...this.selector },
          ports: servicePorts(this.ports),
        },
      });
    }

    const target = props.container ?? containers[0];
    if (props.container && !containers.includes(props.container)) fail(where, 'container is not one of the workload\'s containers: pass one of workload.containers');
    this.mesh._registerWorkload(this);
    this.mesh._claim(object);
    this.target = target;
  }

  /**
   * Gives its container the in-mesh URL of each callee whose call names a variable; run by the mesh's render step,
   * once every call is declared.
   * @internal
   */
  public _addDiscoveredEnv(): void {
    for (const call of this.mesh.callGraph.callsFrom(this)) {
      if (!call.env) continue;
      if (!this.target) {
        fail(this.node.path, `${this.name} has no container to receive ${call.env.name}: give the workload a container`);
      }
      this.target.env.addVariable(call.env.name, EnvValue.fromValue(call.env.value));
    }
  }

  /** Names the ports of a StatefulSet's governing Service for their protocol too, since the mesh reads it as well. */
  private nameServicePorts(set: StatefulSet): void {
    const object = ApiObject.of(set.service);
    servicePortsOf(set.service).forEach((servicePort, i) => {
      const port = this.ports.find(p => p.targetPort === (servicePort.targetPort ?? servicePort.port));
      if (!port) return;
      object.addJsonPatch(JsonPatch.add(`/spec/ports/${i}/name`, portName(port.protocol, servicePort.port)));
      object.addJsonPatch(JsonPatch.add(`/spec/ports/${i}/appProtocol`, appProtocol(port.protocol)));
    });
  }

  /** Names each declared container port for its protocol (`http-8080`), as the mesh reads it. */
  private namePorts(object: ApiObject, containers: readonly Container[]): void {
    for (const port of this.ports) {
      let found = false;
      containers.forEach((container, c) => {
        portsOf(container).forEach((declared, i) => {
          if (declared.number !== port.targetPort) return;
          found = true;
          object.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${c}/ports/${i}/name`, portName(port.protocol, port.targetPort)));
        });
      });
      if (!found) {
        fail(this.node.path, `no container of the workload declares port ${port.targetPort}: add it to the container (ports: [{ number: ${port.targetPort} }]) or remove it from ports`);
      }
    }
  }
}

/** Every prop's type, before anything is made. */
function checkedProps(namespace: MeshNamespace, name: string, props: AdoptedWorkloadProps): AdoptedWorkloadProps {
  const example = 'MeshService.adopt(namespace, "web", { workload })';
  const at = checkScopeAndName(namespace, 'MeshNamespace', isNamespace, name, 'name', example);
  const p = at.object<AdoptedWorkloadProps>('props', props, '{ workload: deployment }');
  at.knownKeys('', p, 'AdoptedWorkloadProps');
  if (!(p.workload instanceof Deployment) && !(p.workload instanceof StatefulSet)) {
    fail(at.path, 'workload is not a cdk8s-plus Deployment or StatefulSet: pass the object your chart built, '
      + 'such as `new kplus.Deployment(chart, "Web", {...})`');
  }
  checkPorts(at, 'ports', p.ports);
  at.string('serviceAccountName', p.serviceAccountName, '"web"', true);
  at.instance('container', p.container, Container, 'one of the workload\'s containers, such as workload.containers[0]');
  at.declaredTypes('', p, 'AdoptedWorkloadProps');
  return p;
}

/** The ports of a cdk8s-plus Service, with the oldest releases' fallback. */
function servicePortsOf(service: { ports?: Array<{ port: number; targetPort?: number }> }): Array<{ port: number; targetPort?: number }> {
  return service.ports ?? [];
}

/** A container's declared ports; the oldest cdk8s-plus-28 releases expose only `portNumber`. */
function portsOf(container: Container): Array<{ number: number }> {
  const ports = (container as { ports?: Array<{ number: number }> }).ports;
  if (ports) return ports;
  return container.portNumber !== undefined ? [{ number: container.portNumber }] : [];
}

function declaredPorts(containers: readonly Container[]): WorkloadPort[] {
  const numbers = [...new Set(containers.flatMap(c => portsOf(c).map(p => p.number)))];
  return numbers.map(port => ({ port, protocol: Protocol.HTTP }));
}
