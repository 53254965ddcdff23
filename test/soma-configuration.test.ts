import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SomaDelivery } from '../app/delivery';
import { main } from '../app/synth';
import { MeshTarget } from '../src';
import { DIST, K8sObject, readManifests, referenceCallGraph, REPO_ROOT } from './support/manifests';
import { KubernetesSchemas } from './support/k8s-schema';

/**
 * SomaAgentHub's committed render carries each service's configuration from its repository (the Helm chart
 * k8s/helm/soma-agent and the manifests infra/k8s/*.yaml, k8s/*-deployment.yaml at 2a21923), every address
 * derived from the call graph, and no Secret value. The expectations are copied from the repository by hand.
 */
const objects = readManifests(DIST);
const graph = referenceCallGraph();
const deployments = objects.filter(o => o.kind === 'Deployment');
const envOf = (service: string): Array<{ name: string; value?: string; valueFrom?: any }> =>
  deployments.find(d => d.metadata.name === `${service}-v1`)!.spec.template.spec.containers[0].env ?? [];
const literal = (service: string) => Object.fromEntries(envOf(service).filter(e => e.value !== undefined).map(e => [e.name, e.value]));

/** Where each workload of the graph runs: services in soma-agent-hub, peers in their own namespaces. */
const namespaceOf = new Map<string, string>([
  ...graph.services.map((s: any) => [s.name, 'soma-agent-hub'] as [string, string]),
  ...graph.infra.map((p: any) => [p.name, p.namespace] as [string, string]),
]);

describe('SomaAgentHub\'s configuration in dist/', () => {
  test('every variable that holds an in-mesh address names a call of the reference graph, at its callee\'s port', () => {
    let addresses = 0;
    for (const d of deployments) {
      const caller = d.spec.template.metadata.labels.app;
      for (const e of d.spec.template.spec.containers[0].env ?? []) {
        for (const m of String(e.value ?? '').matchAll(/([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)/g)) {
          addresses++;
          const [, callee, namespace, port] = m;
          expect({ caller, variable: e.name, namespace }).toEqual({ caller, variable: e.name, namespace: namespaceOf.get(callee) });
          const edge = graph.edges.find((x: any) => x.from === caller && x.to === callee && x.port === Number(port));
          if (!edge) throw new Error(`${caller}'s ${e.name} (${e.value}) names no call of the graph`);
        }
      }
    }
    expect(addresses).toBeGreaterThanOrEqual(15);
  });

  test('no variable names a workload of the graph by a short name or a port of its own', () => {
    const names = [...namespaceOf.keys()];
    for (const d of deployments) {
      for (const e of d.spec.template.spec.containers[0].env ?? []) {
        const value = String(e.value ?? '');
        const stripped = value.replace(/([a-z][a-z0-9+.-]*:\/\/)?[a-z0-9-]+\.[a-z0-9-]+\.svc\.cluster\.local:\d+/g, '');
        for (const name of names) expect({ variable: e.name, short: new RegExp(`(^|[/@])${name}[.:]`).test(stripped) }).toEqual({ variable: e.name, short: false });
      }
    }
  });

  test('the repository\'s wrong callee URLs are corrected from the graph', () => {
    // The repository has http://slm-service:1001 (no such port), redis://redis.somaagent:10003/0, temporal-frontend.somaagent:7233.
    expect(literal('gateway-api').SOMALLM_PROVIDER_URL).toBe('http://slm-service.soma-agent-hub.svc.cluster.local:10022');
    expect(literal('orchestrator-worker').SOMALLM_PROVIDER_URL).toBe('http://slm-service.soma-agent-hub.svc.cluster.local:10022');
    expect(literal('policy-engine').REDIS_URL).toBe('redis://redis.soma-infra.svc.cluster.local:6379/0');
    expect(literal('orchestrator').TEMPORAL_HOST).toBe('temporal-frontend.temporal.svc.cluster.local:7233');
    expect(literal('airflow-service').GATEWAY_URL).toBe('http://gateway-api.soma-agent-hub.svc.cluster.local:10000');
    expect(literal('flink-service').KAFKA_BOOTSTRAP_SERVERS).toBe('kafka.soma-infra.svc.cluster.local:9092');
    // An address for a call the graph does not allow is left out rather than rendered and then denied.
    expect(literal('orchestrator').POLICY_ENGINE_URL).toBeUndefined();
    expect(literal('analytics-service').CLICKHOUSE_HOST).toBeUndefined();
  });

  test('each service\'s literal settings from its repository', () => {
    expect(literal('gateway-api')).toMatchObject({ ENVIRONMENT: 'production', ENABLE_OTLP: 'true', OTEL_SERVICE_NAME: 'gateway-api', KUBECTL_BINARY: 'kubectl' });
    expect(literal('orchestrator')).toMatchObject({ TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'somagent.session.workflows', LOG_LEVEL: 'INFO', LOG_FORMAT: 'json' });
    expect(envOf('orchestrator')).toContainEqual({ name: 'VOLCANO_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    expect(literal('identity-service')).toMatchObject({ JWT_ALGORITHM: 'HS256', JWT_EXPIRATION_MINUTES: '60' });
    expect(literal('slm-service')).toMatchObject({ MODEL_PATH: '/models', DEFAULT_MODEL: 'llama-3.2-1b', MAX_CONCURRENT_REQUESTS: '10' });
    expect(literal('analytics-service')).toMatchObject({ CLICKHOUSE_DATABASE: 'somaagent', BATCH_SIZE: '1000', FLUSH_INTERVAL_SECONDS: '60' });
    expect(literal('orchestrator-worker')).toMatchObject({ TEMPORAL_TASK_QUEUE: 'somagent.session.workflows' });
  });

  test('secrets by reference to the chart\'s soma-secrets, never by value', () => {
    expect(objects.filter(o => o.kind === 'Secret')).toEqual([]);
    const refs = deployments.flatMap(d => {
      const c = d.spec.template.spec.containers[0];
      return [...(c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.valueFrom.secretKeyRef.name), ...(c.envFrom ?? []).map((e: any) => e.secretRef?.name)];
    });
    expect(refs.length).toBeGreaterThanOrEqual(6);
    expect(new Set(refs)).toEqual(new Set(['soma-secrets']));
    expect(envOf('identity-service')).toContainEqual({ name: 'JWT_SECRET_KEY', valueFrom: { secretKeyRef: { name: 'soma-secrets', key: 'jwt-secret' } } });
    for (const d of deployments) {
      for (const e of d.spec.template.spec.containers[0].env ?? []) {
        if (/SECRET|PASSWORD|TOKEN|DATABASE_URL/.test(e.name)) expect({ variable: e.name, literal: e.value !== undefined }).toEqual({ variable: e.name, literal: false });
      }
    }
  });

  test('volumes, resources, autoscaling and disruption budgets', () => {
    const slm = deployments.find(d => d.metadata.name === 'slm-service-v1')!.spec.template.spec;
    expect(slm.volumes).toContainEqual({ name: 'pvc-slm-service-models', persistentVolumeClaim: { claimName: 'slm-service-models', readOnly: true } });
    expect(slm.containers[0].resources).toEqual({ requests: { cpu: '2000m', memory: '4Gi' }, limits: { cpu: '8000m', memory: '16Gi' } });
    const named = (kind: string) => objects.filter(o => o.kind === kind).map(o => o.metadata.name).sort();
    expect(named('PodDisruptionBudget')).toEqual(['analytics-service', 'gateway-api', 'identity-service', 'orchestrator', 'policy-engine', 'slm-service']);
    expect(named('HorizontalPodAutoscaler')).toEqual(expect.arrayContaining(['gateway-api-v1', 'orchestrator-v1', 'slm-service-v1']));
    const schemas = new KubernetesSchemas();
    expect(objects.filter((o: K8sObject) => schemas.knows(o)).flatMap(o => schemas.errors(o))).toEqual([]);
  });
});

test('delivered by Argo Rollouts, slm-service keeps its disruption budget, and its autoscaler targets the Rollout, not a pod template', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-argo-'));
  try {
    // The switch is rendered with the canary rolled back: a Rollout created with the canary's template would promote it.
    const releases = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'releases.json'), 'utf8'));
    releases.services['slm-service'].canary.weight = 0;
    fs.writeFileSync(path.join(out, 'releases.json'), JSON.stringify(releases));
    main(path.join(out, 'render'), path.join(out, 'releases.json'), MeshTarget.ISTIO, SomaDelivery.ARGO_ROLLOUTS);
    const rendered = readManifests(path.join(out, 'render'));
    const autoscalers = rendered.filter(o => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name.startsWith('slm-service'));
    expect(autoscalers.map(o => o.spec.scaleTargetRef)).toEqual([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'slm-service' }]);
    expect(rendered.filter(o => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'slm-service')).toHaveLength(1);
    expect(rendered.filter(o => o.kind === 'Rollout').map(o => o.metadata.name)).toEqual(['slm-service']);
    // The other services are delivered by the release file and keep their autoscalers.
    expect(rendered.filter(o => o.kind === 'HorizontalPodAutoscaler').map(o => o.metadata.name)).toContain('gateway-api-v1');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
