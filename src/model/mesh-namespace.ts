import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { Mesh } from './mesh';
import { fail } from './validation';
import { checkScopeAndName, isMesh } from './declaration-checks';

/** How a namespace joins the mesh. */
export interface MeshNamespaceProps {
  /**
   * Whether this chart creates the Namespace. Set false for a namespace that other charts own
   * (infrastructure such as Redis or Temporal): its peers are then guarded without creating it.
   * Not rendered there: the Namespace and its mesh labels, the deny-by-default policy (unless `defaultDeny`), and the
   * namespace's default-deny NetworkPolicies. Rendered: each workload's own policies, and for a service deployed
   * there, a NetworkPolicy that also opens DNS and the mesh's control plane.
   * @default true
   */
  readonly create?: boolean;
  /**
   * Require mutual TLS for every workload in the namespace (PeerAuthentication STRICT).
   * @default true
   */
  readonly strictMtls?: boolean;
  /**
   * Deny every request that no policy allows (an allow-nothing AuthorizationPolicy for the namespace).
   * @default - true for a namespace created here; false for an existing one, whose other workloads are not declared
   */
  readonly defaultDeny?: boolean;
}

/** A namespace of the mesh: created here with STRICT mTLS and deny-by-default, or an existing one that holds peers. */
export class MeshNamespace extends Construct {
  public readonly name: string;
  public readonly mesh: Mesh;
  public readonly created: boolean;
  public readonly strictMtls: boolean;
  public readonly defaultDeny: boolean;
  /** The Namespace object, when created here; the renderer adds the labels and annotations that mesh it, at synth. */
  public readonly resource?: k8s.KubeNamespace;

  public constructor(mesh: Mesh, name: string, props: MeshNamespaceProps = {}) {
    const at = checkScopeAndName(mesh, 'Mesh', isMesh, name, 'name', 'mesh.addNamespace("shop")');
    const p = at.object<MeshNamespaceProps>('props', props, '{ create: false }', true);
    at.knownKeys('', p, 'MeshNamespaceProps');
    at.declaredTypes('', p, 'MeshNamespaceProps');
    // Checked before the construct exists, so the user sees this message rather than the constructs library's.
    if (isMesh(mesh)) mesh._checkOpen(`${mesh.node.path}/${name}`);
    if (mesh.node.tryFindChild(name)) {
      fail(`${mesh.node.path}/${name}`, `namespace "${name}" is declared twice: declare it once and put every workload in it`);
    }
    super(mesh, name);
    this.name = name;
    this.mesh = mesh;
    this.created = props.create ?? true;
    this.strictMtls = props.strictMtls ?? true;
    this.defaultDeny = props.defaultDeny ?? this.created;
    mesh._registerNamespace(this);
    if (this.created) {
      this.resource = new k8s.KubeNamespace(this, 'Resource', {
        metadata: { name },
      });
    }
  }
}
