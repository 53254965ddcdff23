import { ApiObject } from 'cdk8s';
import { Construct, IConstruct, IValidation } from 'constructs';
import { CallGraph } from './call-graph';
import { IMeshRenderer, IWarningSink } from './mesh-renderer';
import { MeshModel } from './mesh-model';
import { MeshNamespace, MeshNamespaceProps } from './mesh-namespace';
import { unknownWorkloads } from './unknown-workloads';
import { checkDnsLabel, fail } from './validation';
import { isConstruct, pathOf } from './declaration-checks';
import { PropsCheck } from './props-check';
import { checkObjectNames } from './object-names';
import type { IMeshWorkload } from './workload';
import type { PublicIngress } from './public-ingress';
import type { MeshTelemetry } from './mesh-telemetry';
import { MeshService } from './mesh-service';
import { AdoptedWorkload } from './adopted-workload';

/** What every renderer implements; a Mesh refuses an object without them, before any is called. */
const RENDERER_METHODS = ['render'];

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
   * Receives each warning: about the declarations (a workload of the App the mesh does not know, in a namespace that
   * denies by default), and from the renderer, about a declared feature it does not render
   * (`{ warn: message => warnings.push(message) }`).
   * @default - printed to stderr as `warning: ...`
   */
  readonly warningSink?: IWarningSink;
}

/** Warnings printed to stderr, one line each. */
class StandardErrorSink implements IWarningSink {
  public warn(message: string): void {
    console.warn(`warning: ${message}`);
  }
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
  private readonly warningSink: IWarningSink;
  private readonly ingressList: PublicIngress[] = [];
  private telemetryValue?: MeshTelemetry;
  /** The model the renderer rendered, once it has. */
  private renderedModel?: MeshModel;
  private readonly workloadByKey = new Map<string, IMeshWorkload>();
  private readonly workloadsByName = new Map<string, IMeshWorkload[]>();

  public constructor(scope: Construct, id: string, props: MeshProps) {
    const at: PropsCheck = new PropsCheck(pathOf(scope, id));
    if (!isConstruct(scope)) at.fail('scope', `${scope === null ? 'null' : typeof scope} is not a construct`, 'create the Mesh in a Chart: new Mesh(chart, "Mesh", {...})');
    at.string('id', id, '"Mesh"', false);
    const p = at.object<MeshProps>('props', props, '{ renderer: new IstioRenderer() }');
    at.knownKeys('', p, 'MeshProps');
    const renderer = p.renderer as unknown as Record<string, unknown> | undefined;
    if (typeof renderer !== 'object' || renderer === null) {
      at.fail('renderer', renderer === undefined ? 'is missing' : `${renderer === null ? 'null' : typeof renderer} is not a renderer`, 'pass one, for example `new Mesh(chart, "Mesh", { renderer: new IstioRenderer() })`');
    }
    const missing = RENDERER_METHODS.filter(m => typeof renderer[m] !== 'function');
    if (missing.length > 0) at.fail('renderer', `has no ${missing.join(', ')}`, 'pass a renderer of this library, such as new IstioRenderer() or new LinkerdRenderer()');
    at.string('trustDomain', p.trustDomain, '"cluster.local"', true);
    at.string('clusterDomain', p.clusterDomain, '"cluster.local"', true);
    const sink = p.warningSink as unknown as Record<string, unknown> | undefined;
    if (sink !== undefined && (typeof sink !== 'object' || sink === null || typeof sink.warn !== 'function')) {
      at.fail('warningSink', 'has no warn(message) method',
        'pass an object with one, such as { warn: message => warnings.push(message) }');
    }
    at.declaredTypes('', p, 'MeshProps');
    super(scope, id);
    this.trustDomain = props.trustDomain ?? 'cluster.local';
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.renderer = props.renderer;
    this.warningSink = props.warningSink ?? new StandardErrorSink();
    // First of the Mesh's validations, so that the others (object names) see what was rendered. See `render`.
    this.node.addValidation({ validate: () => this.renderStep() });
    this.node.addValidation({ validate: () => { this.warnUnknownWorkloads(); return []; } });
    this.node.addValidation({ validate: () => checkObjectNames(this) });
  }

  /** Whether the mesh was rendered: then nothing more can be declared in it. */
  public get rendered(): boolean {
    return this.renderedModel !== undefined;
  }

  private get renderChecks(): readonly IValidation[] {
    return this.renderedModel?._checks ?? [];
  }

  /** Where this mesh's warnings go (`MeshProps.warningSink`). */
  public get warnings(): IWarningSink {
    return this.warningSink;
  }

  /** Every PublicIngress into the mesh, in declaration order. */
  public get ingresses(): PublicIngress[] {
    return [...this.ingressList];
  }

  /** The mesh's telemetry, when declared. */
  public get telemetry(): MeshTelemetry | undefined {
    return this.telemetryValue;
  }

  /**
   * Fails, naming `where`, when the mesh has been rendered: what is declared after synth would reach no renderer.
   * @internal
   */
  public _checkOpen(where: string): void {
    if (this.rendered) {
      fail(where, `the mesh ${this.node.path} was already rendered (by a synth, or mesh.render()), so this declaration `
        + 'would be left out of it: declare everything before the synth (or before mesh.render())');
    }
  }

  /**
   * Renders the mesh now rather than at synth, to reach what the renderer creates (escape hatches such as
   * `IstioIngressGateway.of(ingress)`, or a JSON patch on a rendered object). Everything must be declared by then: the
   * mesh is closed afterwards. Throws, naming each construct, when a declaration is wrong. What was rendered is checked
   * at synth, with the patches made to it.
   */
  public render(): void {
    if (this.rendered) return;
    const errors = this.modelErrors();
    if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
    this.renderNow();
  }

  /** Every error of the declarations, as cdk8s words them (`[path] message`). */
  private modelErrors(): string[] {
    const model = [...this.node.findAll().filter(c => c !== this), ...this.ingressList];
    return model.flatMap(c => c.node.validate().map(error => `[${c.node.path}] ${error}`));
  }

  /**
   * The render step, the first validation of the Mesh. cdk8s validates the constructs it listed before validation
   * began, then writes the objects it finds in the tree afresh: so what a renderer creates during validation is
   * written, but validated by nobody unless by this step. It therefore checks the model first (a wrong declaration is
   * reported by cdk8s, naming its construct, and never reaches a renderer), renders once, then runs the validations of
   * every construct the renderer created; and, at every synth, the checks the renderer added (the Istio analyzer).
   */
  private renderStep(): string[] {
    let created: IConstruct[] = [];
    if (!this.rendered) {
      if (this.modelErrors().length > 0) return []; // cdk8s reports them, naming each construct
      created = this.renderNow();
    }
    return [
      ...created.flatMap(c => c.node.validate().map(error => `[${c.node.path}] ${error}`)),
      ...this.renderChecks.flatMap(check => check.validate()),
    ];
  }

  /** Renders the finished model, once; returns the constructs the renderer created. */
  private renderNow(): IConstruct[] {
    const root = this.node.root;
    const before = new Set<IConstruct>(root.node.findAll());
    this.callGraph._close();
    for (const workload of this.workloadByKey.values()) {
      if (workload instanceof AdoptedWorkload) workload._addDiscoveredEnv();
    }
    const model = this.model();
    this.renderedModel = model;
    this.renderer.render(model);
    return root.node.findAll().filter(c => !before.has(c));
  }

  private model(): MeshModel {
    const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => compare(a.name, b.name));
    const workloads = [...this.workloadByKey.entries()].sort(([a], [b]) => compare(a, b)).map(([, w]) => w);
    return new MeshModel({
      mesh: this,
      namespaces: byName(this.namespaces),
      workloads,
      services: workloads.filter((w): w is MeshService => w instanceof MeshService),
      calls: [...this.callGraph.calls],
      externalCalls: [...this.callGraph.externalCalls],
      unlistedEgress: [...this.callGraph.unlistedEgress],
      ingresses: [...this.ingressList].sort((a, b) => compare(a.node.path, b.node.path)),
      telemetry: this.telemetryValue,
      strictMtlsMeshWide: this.meshWideStrictMtls,
      warnings: this.warningSink,
    });
  }

  /**
   * Requires mutual TLS for every workload of the mesh, in every namespace, including those this chart does not
   * declare (Istio: a PeerAuthentication in its root namespace). Never rendered unless asked for here: a namespace's
   * own `strictMtls` covers that namespace only, even for the mesh's root namespace.
   */
  public enforceStrictMtlsMeshWide(): void {
    this._checkOpen(this.node.path);
    if (this.meshWideStrictMtls) fail(this.node.path, 'enforceStrictMtlsMeshWide() is called twice: call it once');
    this.meshWideStrictMtls = true;
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
      this.warningSink.warn(message);
    }
  }

  /** @internal called by PublicIngress */
  public _registerIngress(ingress: PublicIngress): void {
    this._checkOpen(ingress.node.path);
    this.ingressList.push(ingress);
  }

  /** @internal called by MeshTelemetry */
  public _registerTelemetry(telemetry: MeshTelemetry): void {
    this._checkOpen(telemetry.node.path);
    this.telemetryValue = telemetry;
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
    this._checkOpen(workload.node.path);
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

/** Code-point order: the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
