/**
 * SomaAgentHub's calls to hosts outside the cluster (call-graph.json, "egress"). Every other workload
 * reaches nothing outside: its Sidecar is REGISTRY_ONLY and its NetworkPolicy opens no outside address.
 */
export interface SomaExternalCall {
  readonly from: string;
  readonly host: string;
  readonly port: number;
}

export const SOMA_EXTERNAL_CALLS: readonly SomaExternalCall[] = [
  { from: 'orchestrator', host: 'api.openai.com', port: 443 },
  { from: 'evolution-engine', host: 'api.openai.com', port: 443 },
  { from: 'voice-interface', host: 'api.openai.com', port: 443 },
  { from: 'self-provisioning', host: '*.amazonaws.com', port: 443 },
  { from: 'self-provisioning', host: 'registry.terraform.io', port: 443 },
];

/** A workload whose destinations cannot be listed, and why: the one exception to REGISTRY_ONLY. */
export interface SomaUnlistedEgress {
  readonly from: string;
  readonly reason: string;
  readonly ports: number[];
}

export const SOMA_UNLISTED_EGRESS: readonly SomaUnlistedEgress[] = [
  {
    from: 'mao-service',
    reason: 'mao-service posts to user-supplied webhook URLs and clones user-supplied git remotes, which cannot be listed ahead of time',
    // Choice: HTTPS only; a webhook on plain HTTP or a git remote over SSH needs its port added here.
    ports: [443],
  },
];
