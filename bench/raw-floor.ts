import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import {
  DestinationRule, DestinationRuleSpecTrafficPolicyTlsMode, Sidecar, SidecarSpecOutboundTrafficPolicyMode, VirtualService,
} from '../imports/istio-networking.istio.io';
import {
  AuthorizationPolicy, AuthorizationPolicySpecAction, AuthorizationPolicySpecRules, AuthorizationPolicySpecRulesTo,
  PeerAuthentication, PeerAuthenticationSpecMtlsMode,
} from '../imports/istio-security.istio.io';
import { Protocol } from '../src/model/protocol';
import { benchImage } from './library-mesh';
import { SyntheticCall, SyntheticMesh, SyntheticService } from './synthetic-mesh';

/** Kinds the floor writes exactly as the library does (a test checks them object for object). */
export const EXACT_FLOOR_KINDS: readonly string[] = [
  'Namespace', 'PeerAuthentication', 'AuthorizationPolicy', 'ServiceAccount', 'Service', 'Deployment',
];
/**
 * Kinds the floor writes only when the library's render has them, one per service, in a plausible
 * shape: they are being added to the library in parallel, so their exact content is the library's own.
 */
export const MIRRORED_FLOOR_KINDS: readonly string[] = ['VirtualService', 'DestinationRule', 'Sidecar'];

const PREFIX: Record<Protocol, string> = { HTTP: 'http', HTTP2: 'http2', GRPC: 'grpc', TCP: 'tcp' };

/**
 * The raw floor: the same objects the library renders for a synthetic mesh, written directly with cdk8s
 * and the imported classes, with no constructs of our own, no lookups, no validation and no Lazy values.
 * Only what any hand-written chart must do is done: group each callee's calls by caller for its policy.
 * `kinds`: the kinds the library's render holds, so that the floor emits no more and no less.
 */
export function floorChart(app: App, mesh: SyntheticMesh, kinds: ReadonlySet<string>): Chart {
  const chart = new Chart(app, 'bench', { disableResourceNameHashes: true });
  const callsTo: SyntheticCall[][] = mesh.services.map(() => []);
  const callsFrom: SyntheticCall[][] = mesh.services.map(() => []);
  for (const call of mesh.calls) {
    callsTo[call.to].push(call);
    callsFrom[call.from].push(call);
  }
  const host = (s: SyntheticService) => `${s.name}.${s.namespace}.svc.cluster.local`;
  const principal = (s: SyntheticService) => `cluster.local/ns/${s.namespace}/sa/${s.name}`;
  const inNamespace = new Map<string, number[]>(mesh.namespaces.map(ns => [ns, []]));
  mesh.services.forEach((s, i) => inNamespace.get(s.namespace)!.push(i));

  for (const ns of mesh.namespaces) {
    new k8s.KubeNamespace(chart, ns, { metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } });
    new PeerAuthentication(chart, `${ns}-mtls`, {
      metadata: { name: 'default', namespace: ns },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });
    new AuthorizationPolicy(chart, `${ns}-deny`, { metadata: { name: 'allow-nothing', namespace: ns }, spec: {} });

    for (const i of inNamespace.get(ns)!) {
      const s = mesh.services[i];
      const labels = { app: s.name };
      const podLabels = { app: s.name, version: 'v1' };
      const metadata = { name: s.name, namespace: ns, labels };
      new k8s.KubeServiceAccount(chart, `${s.name}-sa`, { metadata, automountServiceAccountToken: false });
      new k8s.KubeService(chart, `${s.name}-svc`, {
        metadata,
        spec: {
          selector: labels,
          ports: s.ports.map(p => ({
            name: `${PREFIX[p.protocol]}-${p.port}`, appProtocol: PREFIX[p.protocol], port: p.port,
            targetPort: k8s.IntOrString.fromNumber(p.port), protocol: 'TCP',
          })),
        },
      });
      deployment(chart, s, podLabels);
      if (callsTo[i].length > 0) authorizationPolicy(chart, s, callsTo[i].map(c => ({ call: c, principal: principal(mesh.services[c.from]) })));
      if (kinds.has('VirtualService')) virtualService(chart, s, host(s));
      if (kinds.has('DestinationRule')) destinationRule(chart, s, host(s));
      if (kinds.has('Sidecar')) {
        const callees = new Set(callsFrom[i].map(c => `${mesh.services[c.to].namespace}/${host(mesh.services[c.to])}`));
        sidecar(chart, s, [...callees, 'istio-system/*']);
      }
    }
  }
  return chart;
}

function deployment(chart: Chart, s: SyntheticService, podLabels: Record<string, string>): ApiObject {
  const probe = (): k8s.Probe => ({
    tcpSocket: { port: k8s.IntOrString.fromNumber(s.ports[0].port) },
    initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3,
  });
  return new k8s.KubeDeployment(chart, `${s.name}-deploy`, {
    metadata: { name: `${s.name}-v1`, namespace: s.namespace, labels: podLabels },
    spec: {
      replicas: 2,
      selector: { matchLabels: podLabels },
      template: {
        metadata: { labels: podLabels },
        spec: {
          serviceAccountName: s.name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: s.name,
            image: benchImage(s.name),
            imagePullPolicy: 'IfNotPresent',
            ports: s.ports.map(p => ({ name: `${PREFIX[p.protocol]}-${p.port}`, containerPort: p.port, protocol: 'TCP' })),
            livenessProbe: probe(),
            readinessProbe: probe(),
            resources: {
              requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
              limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('512Mi') },
            },
            securityContext: {
              runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
            },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
        },
      },
    },
  });
}

function authorizationPolicy(chart: Chart, s: SyntheticService, calls: Array<{ call: SyntheticCall; principal: string }>): void {
  const byCaller = new Map<string, AuthorizationPolicySpecRulesTo[]>();
  for (const { call, principal } of calls) {
    let to = byCaller.get(principal);
    if (!to) byCaller.set(principal, to = []);
    to.push({ operation: { ports: [String(call.port)], methods: call.methods, paths: call.paths } });
  }
  const rules: AuthorizationPolicySpecRules[] = [];
  for (const [principal, to] of byCaller) rules.push({ from: [{ source: { principals: [principal] } }], to });
  new AuthorizationPolicy(chart, `${s.name}-authz`, {
    metadata: { name: `${s.name}-callers`, namespace: s.namespace, labels: { app: s.name } },
    spec: { selector: { matchLabels: { app: s.name } }, action: AuthorizationPolicySpecAction.ALLOW, rules },
  });
}

function virtualService(chart: Chart, s: SyntheticService, host: string): void {
  const destination = (port: number) => ({ host, subset: 'v1', port: { number: port } });
  const http = s.ports.filter(p => p.protocol !== Protocol.TCP).map(p => ({
    match: [{ port: p.port }],
    route: [{ destination: destination(p.port), weight: 100 }],
    timeout: '15s',
    retries: { attempts: 2, perTryTimeout: '5s', retryOn: 'connect-failure,refused-stream,unavailable,cancelled,503' },
  }));
  const tcp = s.ports.filter(p => p.protocol === Protocol.TCP).map(p => ({
    match: [{ port: p.port }],
    route: [{ destination: destination(p.port), weight: 100 }],
  }));
  new VirtualService(chart, `${s.name}-vs`, {
    metadata: { name: s.name, namespace: s.namespace, labels: { app: s.name } },
    spec: { hosts: [host], http: http.length > 0 ? http : undefined, tcp: tcp.length > 0 ? tcp : undefined },
  });
}

function destinationRule(chart: Chart, s: SyntheticService, host: string): void {
  new DestinationRule(chart, `${s.name}-dr`, {
    metadata: { name: s.name, namespace: s.namespace, labels: { app: s.name } },
    spec: {
      host,
      trafficPolicy: {
        tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL },
        connectionPool: { tcp: { maxConnections: 100, connectTimeout: '2s' }, http: { http1MaxPendingRequests: 100, maxRequestsPerConnection: 100 } },
        outlierDetection: { consecutive5XxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }],
    },
  });
}

function sidecar(chart: Chart, s: SyntheticService, hosts: string[]): void {
  new Sidecar(chart, `${s.name}-sidecar`, {
    metadata: { name: s.name, namespace: s.namespace, labels: { app: s.name } },
    spec: {
      workloadSelector: { labels: { app: s.name } },
      egress: [{ hosts }],
      outboundTrafficPolicy: { mode: SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY },
    },
  });
}
