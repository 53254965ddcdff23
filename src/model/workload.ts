import { Construct, IConstruct } from 'constructs';
import { Call, CallOptions } from './call';
import { checkMethod, checkPath } from './http-rules';
import type { Mesh } from './mesh';
import type { MeshNamespace } from './mesh-namespace';
import { carriesHttp, Protocol } from './protocol';
import { checkPort, fail } from './validation';
import { checkCallTraffic } from './call-resilience';
import { checkCallOptions, checkCaller, checkPorts, checkScopeAndName, isConstruct, isNamespace } from './declaration-checks';
import { PropsCheck } from './props-check';

/** A port a workload serves: container port and Service port are the same number. */
export interface WorkloadPort {
  /** The port number. */
  readonly port: number;
  /**
   * The protocol spoken on it.
   * @default Protocol.HTTP
   */
  readonly protocol?: Protocol;
}

/** Anything that has a mesh identity and can call or be called: a service declared here or a peer that exists elsewhere. */
export interface IMeshWorkload extends IConstruct {
  /** The workload's name, also its Service name. */
  readonly name: string;
  /** The namespace it runs in. */
  readonly namespace: MeshNamespace;
  /** The ServiceAccount that is its mTLS identity. */
  readonly serviceAccountName: string;
  /** Its mTLS principal as Istio writes it: `<trust domain>/ns/<namespace>/sa/<service account>`. */
  readonly principal: string;
  /** Labels that select its pods. */
  readonly selector: Readonly<Record<string, string>>;
  /** Ports it serves. */
  readonly ports: readonly Required<WorkloadPort>[];
  /** The Service's fully qualified host name. */
  readonly host: string;
  /** Whether this library deploys it (false for a peer that exists elsewhere). */
  readonly deployed: boolean;
  /** Allows `caller` to reach this workload on one port, optionally only with these methods and paths. */
  allowFrom(caller: IMeshWorkload, options?: CallOptions): Call;
}

/** What every workload shares: identity, ports and the calls that reach it. */
export abstract class MeshWorkload extends Construct implements IMeshWorkload {
  public readonly name: string;
  public readonly namespace: MeshNamespace;
  public abstract readonly serviceAccountName: string;
  public abstract readonly selector: Readonly<Record<string, string>>;
  public abstract readonly deployed: boolean;
  public readonly ports: readonly Required<WorkloadPort>[];
  protected readonly mesh: Mesh;

  protected constructor(namespace: MeshNamespace, name: string, ports: readonly WorkloadPort[]) {
    checkPorts(checkScopeAndName(namespace, 'MeshNamespace', isNamespace, name, 'name', `new MeshService(namespace, "web", {...})`), 'ports', ports);
    // Checked before the construct exists, so the user sees this message rather than the constructs library's.
    if (namespace.node.tryFindChild(name)) {
      fail(`${namespace.node.path}/${name}`, `workload "${namespace.name}/${name}" is declared twice: declare each service once, and add versions with addVersion()`);
    }
    super(namespace, name);
    this.name = name;
    this.namespace = namespace;
    this.mesh = namespace.mesh;
    this.ports = ports.map(p => ({ port: p.port, protocol: p.protocol ?? Protocol.HTTP }));
    const seen = new Set<number>();
    for (const { port } of this.ports) {
      const error = checkPort(port);
      if (error) fail(this.node.path, error);
      if (seen.has(port)) fail(this.node.path, `port ${port} is declared twice on ${name}: declare each port once`);
      seen.add(port);
    }
  }

  public get principal(): string {
    return `${this.mesh.trustDomain}/ns/${this.namespace.name}/sa/${this.serviceAccountName}`;
  }

  public get host(): string {
    return `${this.name}.${this.namespace.name}.svc.${this.mesh.clusterDomain}`;
  }

  /** The calls that reach this workload, in the order they were declared. */
  public get callers(): readonly Call[] {
    return this.mesh.callGraph.callsTo(this);
  }

  /** The calls this workload makes, in the order they were declared. */
  public get callees(): readonly Call[] {
    return this.mesh.callGraph.callsFrom(this);
  }

  public allowFrom(caller: IMeshWorkload, options: CallOptions = {}): Call {
    const at = new PropsCheck(`${this.node.path} <- ${isConstruct(caller) ? caller.node.path : 'allowFrom'}`);
    checkCaller(at, caller);
    checkCallOptions(at, options);
    const where = `${this.node.path} <- ${caller.node.path}`;
    const port = this.resolvePort(where, options.port);
    const methods = [...new Set(options.methods ?? [])];
    const paths = [...new Set(options.paths ?? [])];
    if (!carriesHttp(port.protocol) && (methods.length > 0 || paths.length > 0)) {
      fail(where, `port ${port.port} of ${this.name} is ${port.protocol}: Istio sees no HTTP request there, so methods and paths would make the rule match nothing; remove them or declare the port as HTTP or GRPC`);
    }
    for (const method of methods) {
      const error = checkMethod(method);
      if (error) fail(where, error);
    }
    for (const path of paths) {
      const error = checkPath(path);
      if (error) fail(where, error);
    }
    if (caller === this) fail(where, `${this.name} calls itself: a workload reaches its own pods without the mesh; remove the call`);
    if (Object.is(caller.node.root, this.node.root) === false) {
      fail(where, `${caller.name} belongs to another app: declare both workloads in the same mesh`);
    }
    const trafficError = checkCallTraffic(this, port.protocol, methods, options);
    if (trafficError) fail(where, trafficError);
    return this.mesh.callGraph.add({
      caller, callee: this, port: port.port, protocol: port.protocol, methods, paths, timeout: options.timeout, retries: options.retries, fault: options.fault,
    }, where, options.idempotent);
  }

  private resolvePort(where: string, port: number | undefined): Required<WorkloadPort> {
    if (this.ports.length === 0) {
      fail(where, `${this.name} serves no port, so nothing can call it: declare its ports or remove the call`);
    }
    if (port === undefined) {
      if (this.ports.length > 1) {
        fail(where, `${this.name} serves ports ${this.ports.map(p => p.port).join(', ')}: name the one the call uses with { port }`);
      }
      return this.ports[0];
    }
    const found = this.ports.find(p => p.port === port);
    if (!found) {
      fail(where, `${this.name} does not serve port ${port} (it serves ${this.ports.map(p => p.port).join(', ')}): call a declared port or add the port to ${this.name}`);
    }
    return found;
  }
}
