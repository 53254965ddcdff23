import { KubeObject } from '../../src/review/inventory';

/** Hand-written manifests for the analyzer and matrix tests: a small STRICT namespace with two workloads. */
export function deployment(namespace: string, app: string, ports: number[], options: { sa?: string; version?: string } = {}): KubeObject {
  const labels = { app, version: options.version ?? 'v1' };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: `${app}-${labels.version}`, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(options.sa === undefined ? { serviceAccountName: app } : options.sa === '' ? {} : { serviceAccountName: options.sa }),
          containers: [{ name: app, image: `example/${app}:1.0.0`, ports: ports.map(containerPort => ({ containerPort })) }],
        },
      },
    },
  };
}

export function service(namespace: string, app: string, ports: Array<[number, string | undefined]>): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace },
    spec: { selector: { app }, ports: ports.map(([port, name]) => ({ port, targetPort: port, ...(name ? { name } : {}) })) },
  };
}

export function strict(namespace: string): KubeObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace }, spec: { mtls: { mode: 'STRICT' } } };
}

export function allowNothing(namespace: string): KubeObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace }, spec: {} };
}

export function policy(namespace: string, name: string, spec: any): KubeObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

export function destinationRule(namespace: string, name: string, spec: any): KubeObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace }, spec };
}

export function virtualService(namespace: string, name: string, spec: any): KubeObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace }, spec };
}

/** shop: web (HTTP 8080, versions v1 and v2) and db (TCP 5432), STRICT, deny by default, web -> db allowed. */
export function shop(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    strict('shop'),
    allowNothing('shop'),
    deployment('shop', 'web', [8080]),
    deployment('shop', 'web', [8080], { version: 'v2' }),
    service('shop', 'web', [[8080, 'http-web']]),
    deployment('shop', 'db', [5432]),
    service('shop', 'db', [[5432, 'tcp-db']]),
    policy('shop', 'db-callers', {
      selector: { matchLabels: { app: 'db' } }, action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['5432'] } }] }],
    }),
  ];
}

export const WEB_HOST = 'web.shop.svc.cluster.local';
