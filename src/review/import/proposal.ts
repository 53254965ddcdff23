import type { KubeObject } from '../inventory';

/**
 * What `soma-mesh import` proposes from a folder of Kubernetes YAML: services, the calls between them with the
 * evidence for each, hosts outside the cluster, and what names nothing in the input (never guessed).
 */

/** The application protocol of a proposed port, as the library's `Protocol` names it. */
export type ProposedProtocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP';

/** A port of a proposed service: the Service port callers dial and the container port behind it. */
export interface ProposedPort {
  readonly port: number;
  readonly targetPort: number;
  readonly protocol: ProposedProtocol;
  /** What the protocol was read from: `appProtocol`, `port name`, `well-known port`, `image`, or `assumed`. */
  readonly protocolFrom: string;
  /** The Services that publish it (`name:port`); empty for a container port no Service publishes. */
  readonly services: string[];
}

/** A probe of the input, in the terms of the library's `HealthCheck`. */
export interface ProposedProbe {
  readonly kind: 'http' | 'tcp' | 'command' | 'grpc';
  readonly path?: string;
  readonly port?: number;
  readonly command?: string[];
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
}

/** An environment variable of the main container, as the input gives it. */
export interface ProposedEnv {
  readonly name: string;
  readonly value?: string;
  /** `configMap` or `secret` key reference, or a pod field (`field`). */
  readonly from?: { readonly kind: 'configMap' | 'secret' | 'field'; readonly name: string; readonly key: string };
}

/** A volume mounted into the main container. */
export interface ProposedMount {
  readonly path: string;
  readonly volume: string;
  readonly kind: 'configMap' | 'secret' | 'emptyDir' | 'persistentVolumeClaim' | 'other';
  /** The ConfigMap, Secret or claim. */
  readonly source?: string;
  readonly readOnly?: boolean;
  readonly subPath?: string;
}

/** A workload of the input, proposed as a `MeshService` or, for infrastructure, an `ExistingWorkload`. */
export interface ProposedService {
  readonly name: string;
  readonly namespace: string;
  /** `MeshService`, or `ExistingWorkload` for infrastructure (marked, or a database, cache or broker image). */
  readonly declaration: 'MeshService' | 'ExistingWorkload';
  /** Why it is infrastructure, when it is. */
  readonly existingBecause?: string;
  /** The object that deploys it, `Kind/name`. */
  readonly object: string;
  readonly image: string;
  readonly replicas?: number;
  readonly serviceAccount: string;
  /** Labels of its pods (what policies select). */
  readonly selector: Record<string, string>;
  readonly ports: ProposedPort[];
  readonly liveness?: ProposedProbe;
  readonly readiness?: ProposedProbe;
  readonly resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readonly env: ProposedEnv[];
  readonly envFrom: Array<{ kind: 'configMap' | 'secret'; name: string; prefix?: string }>;
  readonly command?: string[];
  readonly args?: string[];
  readonly mounts: ProposedMount[];
  /** Where the input declares it, `file:line`, when known. */
  readonly source?: string;
}

/** One proposed call: `from` may reach `to` on the Service port `port`. */
export interface ProposedCall {
  /** The caller, `namespace/name`. */
  readonly from: string;
  /** The callee, `namespace/name`. */
  readonly to: string;
  /** The callee's Service port the evidence names (what `allowFrom({ port })` takes). */
  readonly port: number;
  /** The container port behind it (what the access matrix and pod-level policies show). */
  readonly targetPort: number;
  readonly protocol: ProposedProtocol;
  /** Where the call was read, one line each (`frontend env CART_SERVICE_ADDR=cartservice:7070`). */
  readonly evidence: string[];
}

/** A host outside the cluster that a workload calls. */
export interface ProposedExternal {
  readonly from: string;
  readonly host: string;
  readonly port: number;
  readonly evidence: string[];
}

/** A value that names something the input does not resolve: listed, never guessed. */
export interface UnresolvedMention {
  readonly from: string;
  /** What names it (`env ZIPKIN=zipkin.jaeger.svc.cluster.local`). */
  readonly evidence: string;
  /** Why it resolves to no call. */
  readonly reason: string;
}

/** A workload other charts deploy, in the form `--peers` reads (so the matrix of a render sees it). */
export interface ProposedPeer {
  readonly name: string;
  readonly namespace: string;
  readonly selector: Record<string, string>;
  readonly serviceAccount: string;
  readonly ports: Array<{ port: number; protocol: string }>;
}

export interface ImportProposal {
  readonly services: ProposedService[];
  readonly calls: ProposedCall[];
  readonly external: ProposedExternal[];
  readonly unresolved: UnresolvedMention[];
  /** The proposed ExistingWorkloads as peers (container ports): pass this file to `soma-mesh matrix --peers`. */
  readonly peers: ProposedPeer[];
  /** What the proposal cannot make least-privilege by itself (a caller whose identity other workloads share). */
  readonly notes: string[];
}

/** Options of the import. */
export interface ImportOptions {
  /**
   * The namespace of objects that name none (`helm template` output).
   * @default 'default'
   */
  readonly namespace?: string;
  /**
   * Workloads to declare as ExistingWorkload (`name` or `namespace/name`), beside those annotated
   * `soma-mesh.io/existing: "true"` and those whose image is a database, cache or broker.
   * @default - none
   */
  readonly existing?: string[];
  /** Where each object was read, `file:line`. */
  readonly sources?: Map<KubeObject, string>;
}
