/**
 * The mesh-wide settings that the YAML does not carry but Istio depends on (istiod's MeshConfig, and the cluster's DNS
 * domain, by which the analyzer resolves short hosts; the matrix never resolves one: a rule on `hosts` depends on the
 * request's Host header).
 */
export interface IstioMeshConfig {
  /**
   * The mesh's trust domain: workload identities are `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`.
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
  /**
   * Other trust domains treated as the local one (MeshConfig `trustDomainAliases`).
   * @default - none
   */
  readonly trustDomainAliases?: string[];
  /**
   * The root namespace: its selector-less policies bind the whole mesh.
   * @default 'istio-system'
   */
  readonly rootNamespace?: string;
  /**
   * The cluster's DNS domain: a Service's host is `<name>.<namespace>.svc.<clusterDomain>`.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
}

/** A mesh config with every default filled in. */
export interface ResolvedMeshConfig {
  readonly trustDomain: string;
  readonly trustDomainAliases: readonly string[];
  readonly rootNamespace: string;
  readonly clusterDomain: string;
}

export function resolveMeshConfig(config: IstioMeshConfig = {}): ResolvedMeshConfig {
  return {
    trustDomain: config.trustDomain ?? 'cluster.local',
    trustDomainAliases: config.trustDomainAliases ?? [],
    rootNamespace: config.rootNamespace ?? 'istio-system',
    clusterDomain: config.clusterDomain ?? 'cluster.local',
  };
}
