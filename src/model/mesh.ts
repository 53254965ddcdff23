import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { CallGraph } from './call-graph';
import { IMeshRenderer } from './mesh-renderer';
import { MeshNamespace, MeshNamespaceProps } from './mesh-namespace';
import { unknownWorkloads } from './unknown-workloads';
import { checkDnsLabel, fail } from './validation';
import { isConstruct, pathOf } from './declaration-checks';
import { PropsCheck } from './props-check';
import { checkObjectNames } from './object-names';
import type { IMeshWorkload } from './workload';

/** What every renderer implements; a Mesh refuses an object without them, before any is called. */
const RENDERER_METHODS = ['namespaceLabels', 'renderNamespace', 'renderWorkload', 'renderCall', 'renderTraffic'];

/** Settings of a whole mesh. */
export interface MeshProps {
  /**
   * The SPIFFE trust domain in principals. `cluster.local` is Istio's alias for the local trust domain.
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
  /**
   * The Kubernetes cluster domain in Service host names.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * What turns the declared mesh into mesh-specific resources: `new IstioRenderer()`, `new LinkerdRenderer()`.
   * The model is mesh-neutral, so it never picks one itself.
   */
  readonly renderer: IMeshRenderer;
  /**
   * Receives each warning about the declarations (a workload of the App the mesh does not know, in a
   * namespace that denies by default).
   * @default - printed to stderr as `warning: ...`
   * @jsii ignore
   */
  readonly onWarning?: (message: string) => void;
}

/**
 * A service mesh: its namespaces, workloads and the call graph between them. Every policy it renders
 * is derived from the call graph, so a call is declared once, on the callee, with `allowFrom`.
 */
export class Mesh extends Construct {
  /** The mesh a construct belongs to. */
  public static of(construct: IConstruct): Mesh {
    for (let scope: IConstruct | undefined = construct; scope; scope = scope.node.scope) {
      if (scope instanceof Mesh) return scope;
    }
    return fail(construct.node.path, 'this construct is not inside a Mesh: create it under a MeshNamespace of a Mesh');
  }

  public readonly trustDomain: string;
  public readonly clusterDomain: string;
  public readonly callGraph = new CallGraph();
  public readonly renderer: IMeshRenderer;
  private readonly namespaceByName = new Map<string, MeshNamespace>();
  private meshWideStrictMtls = false;
  private readonly claimed = new Set<IConstruct>();
  private readonly warned = new Set<string>();
  private readonly onWarning: (message: string) => void;
  private readonly workloadByKey = new Map<string, IMeshWorkload>();
  private readonly workloadsByName = new Map<string, IMeshWorkload[]>();

  public constructor(scope: Construct, id: string, props: MeshProps) {
    const at: PropsCheck = new PropsCheck(pathOf(scope, id));
    if (!isConstruct(scope)) at.fail('scope', `${scope === null ? 'null' : typeof scope} is not a construct`, 'create the Mesh in a Chart: new Mesh(chart, "Mesh", {...})');
    at.string('id', id, '"Mesh"', false);
    const p = at.object<MeshProps>('props', props, '{ renderer: new IstioRenderer() }');
    const renderer = p.renderer as unknown as Record<string, unknown> | undefined;
    if (typeof renderer !== 'object' || renderer === null) {
      at.fail('renderer', renderer === undefined ? 'is missing' : `${renderer === null ? 'null' : typeof renderer} is not a renderer`, 'pass one, for example `new Mesh(chart, "Mesh", { renderer: new IstioRenderer() })`');
    }
    const missing = RENDERER_METHODS.filter(m => typeof renderer[m] !== 'function');
    if (missing.length > 0) at.fail('renderer', `has no ${missing.join(', ')}`, 'pass a renderer of this library, such as new IstioRenderer() or new LinkerdRenderer()');
    at.string('trustDomain', p.trustDomain, '"cluster.local"', true);
    at.string('clusterDomain', p.clusterDomain, '"cluster.local"', true);
    super(scope, id);
    this.trustDomain = props.trustDomain ?? 'cluster.local';
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.renderer = props.renderer;
    this.onWarning = props.onWarning ?? (message => process.stderr.write(`warning: ${message}\n`));
    this.node.addValidation({ validate: () => { this.warnUnknownWorkloads(); return []; } });
    this.node.addValidation({ validate: () => checkObjectNames(this) });
    this.callGraph.onCall(call => this.renderer.renderCall(call));
    this.callGraph.onUnlistedEgress(grant => this.renderer.renderUnlistedEgress(grant));
    this.renderer.renderMesh(this);
  }

  /**
   * Requires mutual TLS for every workload of the mesh, in every namespace, including those this chart does not
   * declare (Istio: a PeerAuthentication in its root namespace). Never rendered unless asked for here: a namespace's
   * own `strictMtls` covers that namespace only, even for the mesh's root namespace.
   */
  public enforceStrictMtlsMeshWide(): void {
    if (this.meshWideStrictMtls) fail(this.node.path, 'enforceStrictMtlsMeshWide() is called twice: call it once');
    this.meshWideStrictMtls = true;
    this.renderer.renderMeshWideStrictMtls(this);
  }

  /** Whether `enforceStrictMtlsMeshWide()` was called. */
  public get strictMtlsMeshWide(): boolean {
    return this.meshWideStrictMtls;
  }

  /** Declares a namespace of the mesh (created here unless `create: false`). */
  public addNamespace(name: string, props: MeshNamespaceProps = {}): MeshNamespace {
    return new MeshNamespace(this, name, props);
  }

  /** Every namespace, in declaration order. */
  public get namespaces(): MeshNamespace[] {
    return [...this.namespaceByName.values()];
  }

  /** Every workload, in declaration order. */
  public get workloads(): IMeshWorkload[] {
    return [...this.workloadByKey.values()];
  }

  /**
   * Finds a workload by name, or by `namespace/name` where the name is used in several namespaces.
   * Throws, listing the declared names, when there is none.
   */
  public workload(ref: string): IMeshWorkload {
    new PropsCheck(`${this.node.path}.workload`).string('ref', ref, '"web" or "shop/web"');
    const exact = this.workloadByKey.get(ref);
    if (exact) return exact;
    const byName = this.workloadsByName.get(ref) ?? [];
    if (byName.length === 1) return byName[0];
    if (byName.length > 1) {
      fail(this.node.path, `"${ref}" names workloads in ${byName.map(w => w.namespace.name).join(', ')}: write "namespace/${ref}"`);
    }
    const known = [...this.workloadsByName.keys()].sort().join(', ');
    return fail(this.node.path, `no workload "${ref}" is declared in the mesh: declare it first, or use one of: ${known}`);
  }

  /** @internal called by AdoptedWorkload: an object of the App that the mesh now knows */
  public _claim(object: IConstruct): void {
    this.claimed.add(object);
  }

  /** Says once, at synth, which pods of the App run in a deny-by-default namespace of this mesh without the mesh knowing them. */
  private warnUnknownWorkloads(): void {
    const closed = new Set(this.namespaces.filter(n => n.defaultDeny).map(n => n.name));
    if (closed.size === 0) return;
    const meshes = this.node.root.node.findAll().filter((c): c is Mesh => c instanceof Mesh);
    const workloads = new Set<IConstruct>(meshes.flatMap(m => m.workloads));
    const known = (object: ApiObject) => meshes.some(m => m.claimed.has(object)) || object.node.scopes.some(scope => workloads.has(scope));
    for (const { object, namespace } of unknownWorkloads(this.node.root, closed, known)) {
      const message = `[${object.node.path}] ${object.kind} ${namespace}/${object.name} runs in namespace ${namespace}, which denies by default, but the mesh does not know it: every request to it is denied and its egress is closed. Adopt it (MeshService.adopt) or declare it as an ExistingWorkload, and declare its calls`;
      if (this.warned.has(message)) continue; // validation may run more than once per synth
      this.warned.add(message);
      this.onWarning(message);
    }
  }

  /** @internal called by MeshNamespace */
  public _registerNamespace(namespace: MeshNamespace): void {
    const error = checkDnsLabel('namespace name', namespace.name);
    if (error) fail(namespace.node.path, error);
    if (this.namespaceByName.has(namespace.name)) {
      fail(namespace.node.path, `namespace "${namespace.name}" is declared twice: declare it once and put every workload in it`);
    }
    this.namespaceByName.set(namespace.name, namespace);
  }

  /** @internal called by workloads */
  public _registerWorkload(workload: IMeshWorkload): void {
    const error = checkDnsLabel('workload name', workload.name);
    if (error) fail(workload.node.path, error);
    const key = `${workload.namespace.name}/${workload.name}`;
    if (this.workloadByKey.has(key)) {
      fail(workload.node.path, `workload "${key}" is declared twice: declare each service once, and add versions with addVersion()`);
    }
    this.workloadByKey.set(key, workload);
    const sameName = this.workloadsByName.get(workload.name);
    if (sameName) sameName.push(workload);
    else this.workloadsByName.set(workload.name, [workload]);
  }
}
