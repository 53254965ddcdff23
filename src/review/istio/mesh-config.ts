/**
 * The mesh-wide settings that the YAML does not carry but Istio's authorization depends on (istiod's MeshConfig).
 * The cluster's DNS domain is not among them: the matrix never resolves a host (a rule on `hosts` depends on the
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
}

/** A mesh config with every default filled in. */
export interface ResolvedMeshConfig {
  readonly trustDomain: string;
  readonly trustDomainAliases: readonly string[];
  readonly rootNamespace: string;
}

export function resolveMeshConfig(config: IstioMeshConfig = {}): ResolvedMeshConfig {
  return {
    trustDomain: config.trustDomain ?? 'cluster.local',
    trustDomainAliases: config.trustDomainAliases ?? [],
    rootNamespace: config.rootNamespace ?? 'istio-system',
  };
}
