import { Construct } from 'constructs';
import type { Mesh } from './mesh';
import { Protocol } from './protocol';
import { checkPort, fail } from './validation';
import { checkCaller, checkScopeAndName, isMesh } from './declaration-checks';
import { PropsCheck } from './props-check';
import type { IMeshWorkload } from './workload';

/** A host outside the cluster that workloads may call. */
export interface ExternalHostProps {
  /** Its DNS name, or a wildcard of one level of subdomains (`*.amazonaws.com`). */
  readonly host: string;
  /**
   * The port its callers use.
   * @default - 443 with TLS; 80 with `Protocol.HTTP`
   */
  readonly port?: number;
  /**
   * What callers speak to the host. Left out, they speak TLS themselves (HTTPS), so the mesh routes by SNI.
   * `Protocol.HTTP`: plain HTTP (a cloud metadata server), routed by the Host header. Plain HTTP to a host never
   * passes an egress gateway, which forwards TLS by SNI.
   * @default - TLS
   */
  readonly protocol?: Protocol;
}

/** One egress edge of the call graph: `caller` may open connections to `host`. */
export interface ExternalCall {
  readonly caller: IMeshWorkload;
  readonly host: ExternalHost;
}

/** A workload allowed to reach hosts nobody can list in advance (user-supplied URLs), and why. */
export interface UnlistedEgress {
  readonly caller: IMeshWorkload;
  /** Why its destinations cannot be listed; shown in the rendered Sidecar. */
  readonly reason: string;
  /** Ports it may open to addresses outside the cluster. */
  readonly ports: number[];
}

const HOST = /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A destination outside the mesh (a SaaS API, a package registry). Declared once, then allowed from
 * each workload that calls it with `allowFrom`: the call graph records the edge, and the workload's
 * Sidecar, the host's ServiceEntry and the NetworkPolicies are derived from it.
 */
export class ExternalHost extends Construct {
  public readonly host: string;
  public readonly port: number;
  /** `Protocol.HTTP` for plain HTTP; undefined when callers speak TLS. */
  public readonly protocol?: Protocol;
  public readonly mesh: Mesh;

  public constructor(mesh: Mesh, id: string, props: ExternalHostProps) {
    const at = checkScopeAndName(mesh, 'Mesh', isMesh, id, 'id', 'new ExternalHost(mesh, "Stripe", { host: "api.stripe.com" })');
    const p = at.object<ExternalHostProps>('props', props, '{ host: "api.example.com", port: 443 }');
    at.knownKeys('', p, 'ExternalHostProps');
    at.string('host', p.host, '"api.example.com"', false);
    at.integer('port', p.port, 1, 65535);
    if (isMesh(mesh)) mesh._checkOpen(`${mesh.node.path}/${id}`);
    at.oneOf('protocol', p.protocol, Protocol as any, 'Protocol');
    at.declaredTypes('', p, 'ExternalHostProps');
    super(mesh, id);
    this.mesh = mesh;
    this.host = props.host;
    this.protocol = props.protocol;
    this.port = props.port ?? (props.protocol === Protocol.HTTP ? 80 : 443);
    const where = this.node.path;
    if (props.protocol !== undefined && props.protocol !== Protocol.HTTP) {
      fail(where, `protocol ${props.protocol} is not offered for an external host: `
        + 'leave it out when callers speak TLS (HTTPS, gRPC over TLS), or use Protocol.HTTP for plain HTTP');
    }
    if (!HOST.test(this.host) || this.host.length > 253) {
      fail(where, `host "${this.host}" is not a DNS name: write a lower-case name such as "api.example.com", or "*.example.com" for its subdomains`);
    }
    const portError = checkPort(this.port);
    if (portError) fail(where, portError);
    this.node.addValidation({
      validate: () => mesh.callGraph.externalCallsTo(this).length === 0
        ? [`no workload calls ${this.host}: call allowFrom(workload) or remove it`]
        : [],
    });
  }

  /** Whether callers speak TLS to the host, so that a proxy can tell its connections apart by SNI. */
  public get speaksTls(): boolean {
    return this.protocol !== Protocol.HTTP;
  }

  /**
   * Whether an egress gateway can forward the host's connections untouched: TLS to one plain host, told apart by SNI
   * (a wildcard has no single destination, plain HTTP no SNI).
   */
  public get passesEgressGateway(): boolean {
    return this.speaksTls && !this.isWildcard;
  }

  /** Whether the host names every subdomain of a domain. */
  public get isWildcard(): boolean {
    return this.host.startsWith('*.');
  }

  /** Allows `caller` to open connections to this host on its port. */
  public allowFrom(caller: IMeshWorkload): ExternalCall {
    checkCaller(new PropsCheck(`${this.node.path} <- allowFrom`), caller);
    const where = `${this.node.path} <- ${caller.node.path}`;
    if (!Object.is(caller.node.root, this.node.root)) fail(where, `${caller.name} belongs to another app: declare it in the same mesh`);
    if (!caller.deployed) {
      fail(where, `${caller.name} is deployed by another chart, whose proxy and egress this mesh does not render: declare its external hosts in that chart`);
    }
    return this.mesh.callGraph.addExternal({ caller, host: this }, where);
  }
}
