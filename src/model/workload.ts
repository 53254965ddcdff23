import { Construct, IConstruct } from 'constructs';
import { Call, CallOptions, DiscoveryEnv } from './call';
import { checkMethod, checkPath } from './http-rules';
import { grpcOperations } from './grpc-operations';
import type { Mesh } from './mesh';
import type { MeshNamespace } from './mesh-namespace';
import { carriesHttp, Protocol } from './protocol';
import { checkPort, fail } from './validation';
import { checkCallTraffic } from './call-resilience';
import { checkCallOptions, checkCaller, checkPorts, checkScopeAndName, isConstruct, isNamespace } from './declaration-checks';
import { PropsCheck } from './props-check';

/** A port a workload serves: the Service port callers dial, and the container port it forwards to. */
export interface WorkloadPort {
  /** The Service port: the number callers dial, and the one `allowFrom({ port })` names. */
  readonly port: number;
  /**
   * The container port the Service forwards to, where the application listens (authorization and
   * NetworkPolicies are written for it, since they see the pod's port).
   * @default - the same number as `port`
   */
  readonly targetPort?: number;
  /**
   * The protocol spoken on it.
   * @default Protocol.HTTP
   */
  readonly protocol?: Protocol;
}

/** A port a workload serves, every default filled in. */
export interface ResolvedWorkloadPort {
  /** The Service port. */
  readonly port: number;
  /** The container port the Service forwards to. */
  readonly targetPort: number;
  /** The protocol spoken on it. */
  readonly protocol: Protocol;
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
  readonly ports: ResolvedWorkloadPort[];
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
  public readonly ports: ResolvedWorkloadPort[];
  protected readonly mesh: Mesh;

  protected constructor(namespace: MeshNamespace, name: string, ports: WorkloadPort[]) {
    checkPorts(checkScopeAndName(namespace, 'MeshNamespace', isNamespace, name, 'name', `new MeshService(namespace, "web", {...})`), 'ports', ports);
    namespace.mesh._checkOpen(`${namespace.node.path}/${name}`);
    // Checked before the construct exists, so the user sees this message rather than the constructs library's.
    if (namespace.node.tryFindChild(name)) {
      fail(`${namespace.node.path}/${name}`, `workload "${namespace.name}/${name}" is declared twice: declare each service once, and add versions with addVersion()`);
    }
    super(namespace, name);
    this.name = name;
    this.namespace = namespace;
    this.mesh = namespace.mesh;
    this.ports = ports.map(p => ({ port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? Protocol.HTTP }));
    const seen = new Set<number>();
    const targets = new Set<number>();
    for (const { port, targetPort } of this.ports) {
      const error = checkPort(port) ?? checkPort(targetPort);
      if (error) fail(this.node.path, error);
      if (seen.has(port)) fail(this.node.path, `port ${port} is declared twice on ${name}: declare each port once`);
      if (targets.has(targetPort)) fail(this.node.path, `container port ${targetPort} is the target of two Service ports of ${name}: give each Service port its own container port`);
      seen.add(port);
      targets.add(targetPort);
    }
  }

  public get principal(): string {
    return `${this.mesh.trustDomain}/ns/${this.namespace.name}/sa/${this.serviceAccountName}`;
  }

  public get host(): string {
    return `${this.name}.${this.namespace.name}.svc.${this.mesh.clusterDomain}`;
  }

  /** The calls that reach this workload, in the order they were declared. */
  public get callers(): Call[] {
    return this.mesh.callGraph.callsTo(this);
  }

  /** The calls this workload makes, in the order they were declared. */
  public get callees(): Call[] {
    return this.mesh.callGraph.callsFrom(this);
  }

  public allowFrom(caller: IMeshWorkload, options: CallOptions = {}): Call {
    const at = new PropsCheck(`${this.node.path} <- ${isConstruct(caller) ? caller.node.path : 'allowFrom'}`);
    checkCaller(at, caller);
    checkCallOptions(at, options);
    const where = `${this.node.path} <- ${caller.node.path}`;
    const port = this.resolvePort(where, options.port);
    const declaredMethods = [...new Set(options.methods ?? [])];
    const declaredPaths = [...new Set(options.paths ?? [])];
    if (!carriesHttp(port.protocol) && (declaredMethods.length > 0 || declaredPaths.length > 0)) {
      fail(where, `port ${port.port} of ${this.name} is ${port.protocol}: Istio sees no HTTP request there, so methods and paths would make the rule match nothing; remove them or declare the port as HTTP or GRPC`);
    }
    const { methods, paths } = port.protocol === Protocol.GRPC
      ? grpcOperations(where, declaredMethods, declaredPaths) : { methods: declaredMethods, paths: declaredPaths };
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
    const callerMesh = callerMeshOf(caller);
    if (callerMesh !== this.mesh) {
      fail(where, `${caller.name} is in mesh ${callerMesh?.node.path ?? '(none)'} and ${this.name} in mesh ${this.mesh.node.path}: each mesh scopes its proxies and NetworkPolicies to its own call graph, so a call across two meshes would be rendered and then blocked; declare both workloads in one Mesh`);
    }
    if (options.env !== undefined) {
      checkDiscoveryEnv(where, caller, options.env);
      const name = typeof options.env === 'string' ? options.env : options.env.name;
      const taken = this.mesh.callGraph.callsFrom(caller).find(c => c.env?.name === name);
      if (taken) fail(where, `${caller.name} already finds ${taken.callee.name} through ${name}: give each call its own variable`);
    }
    const trafficError = checkCallTraffic(this, port.protocol, methods, options);
    if (trafficError) fail(where, trafficError);
    return this.mesh.callGraph.add({
      caller, callee: this, port: port.port, targetPort: port.targetPort, protocol: port.protocol, methods, paths,
      timeout: options.timeout, retries: options.retries, fault: options.fault, env: discoveryEnv(options.env, this, port),
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

/** The Mesh a workload belongs to (its `namespace.mesh`), or undefined for a foreign implementation. */
function callerMeshOf(caller: IMeshWorkload): Mesh | undefined {
  return caller.namespace?.mesh;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkDiscoveryEnv(where: string, caller: IMeshWorkload, env: string | DiscoveryEnv): void {
  const name = typeof env === 'string' ? env : env.name;
  if (typeof name !== 'string' || !ENV_NAME.test(name)) {
    fail(where, `env "${String(name)}" is not an environment variable name: use letters, digits and '_', not starting with a digit, such as ORDERS_URL`);
  }
  if (typeof env !== 'string' && env.scheme !== undefined && !/^([a-z][a-z0-9+.-]*)?$/.test(env.scheme)) {
    fail(where, `env scheme "${env.scheme}" is not a URL scheme: write it without "://", such as "redis", or "" for host:port`);
  }
  if (typeof env !== 'string' && env.path !== undefined && !/^\/\S*$/.test(env.path)) {
    fail(where, `env path "${env.path}" does not start with "/": write it as it follows the port, such as "/0"`);
  }
  if (!caller.deployed) {
    fail(where, `${caller.name} is deployed by another chart, so its container cannot be given ${name}: set it in that chart, or remove env`);
  }
}

/** The environment variable through which the caller finds the callee: its in-mesh URL. */
function discoveryEnv(env: string | DiscoveryEnv | undefined, callee: IMeshWorkload, port: Required<WorkloadPort>): { name: string; value: string } | undefined {
  if (env === undefined) return undefined;
  const spec = typeof env === 'string' ? { name: env } : env;
  return { name: spec.name, value: meshUrl(callee, port, spec.scheme, spec.path) };
}

/**
 * A callee's address inside the mesh: its Service's fully qualified name and Service port. HTTP ports get
 * `http://` (the proxies add mutual TLS, so the application speaks plain HTTP); gRPC and TCP ports are
 * `host:port`, the form gRPC targets and most TCP clients take, unless a scheme is given.
 */
export function meshUrl(callee: IMeshWorkload, port: Pick<WorkloadPort, 'port' | 'protocol'>, scheme?: string, path?: string): string {
  const protocol = port.protocol ?? Protocol.HTTP;
  const effective = scheme ?? (protocol === Protocol.HTTP || protocol === Protocol.HTTP2 ? 'http' : '');
  return `${effective ? `${effective}://` : ''}${callee.host}:${port.port}${path ?? ''}`;
}
