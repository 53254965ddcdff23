import { dataPlane, egressHostMatches, exportedTo, Manifest, RegistryHost, sidecarFor } from '../bench/visible-hosts';

/** The bench's reading of Istio's Sidecar rules, on small hand-written renders. */

const host = (name: string, namespace: string, exportTo?: string[]): RegistryHost =>
  ({ host: `${name}.${namespace}.svc.cluster.local`, namespace, exportTo });

describe('egress host patterns (namespace/dnsName)', () => {
  const orders = host('orders', 'shop');
  test.each([
    ['shop/orders.shop.svc.cluster.local', 'web', true],
    ['shop/users.shop.svc.cluster.local', 'web', false],
    ['other/orders.shop.svc.cluster.local', 'web', false], // the namespace part is the host's namespace
    ['*/orders.shop.svc.cluster.local', 'web', true],
    ['shop/*', 'web', true],
    ['infra/*', 'web', false],
    ['./*', 'shop', true], // "." is the proxy's own namespace
    ['./*', 'web', false],
    ['~/*', 'shop', false], // "~" is no namespace: nothing
    ['*/*.shop.svc.cluster.local', 'web', true],
    ['*/*.infra.svc.cluster.local', 'web', false],
  ])('%s from a proxy in %s: %s', (pattern, proxyNamespace, expected) => {
    expect(egressHostMatches(pattern, orders, proxyNamespace)).toBe(expected);
  });

  test('exportTo limits where a host is seen', () => {
    expect(exportedTo(host('a', 'shop'), 'web')).toBe(true);
    expect(exportedTo(host('a', 'shop', ['.']), 'web')).toBe(false);
    expect(exportedTo(host('a', 'shop', ['.']), 'shop')).toBe(true);
    expect(exportedTo(host('a', 'shop', ['web']), 'web')).toBe(true);
    expect(exportedTo(host('a', 'shop', ['~']), 'shop')).toBe(false);
  });
});

describe('which Sidecar applies', () => {
  const sidecar = (name: string, namespace: string, selector?: Record<string, string>): Manifest =>
    ({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace }, spec: selector ? { workloadSelector: { labels: selector } } : {} });
  const all = [sidecar('root', 'istio-system'), sidecar('ns-default', 'shop'), sidecar('web', 'shop', { app: 'web' })];

  test('the one selecting the workload, then its namespace default, then the root namespace default', () => {
    expect(sidecarFor(all, 'shop', { app: 'web', version: 'v1' })?.metadata.name).toBe('web');
    expect(sidecarFor(all, 'shop', { app: 'orders' })?.metadata.name).toBe('ns-default');
    expect(sidecarFor(all, 'infra', { app: 'redis' })?.metadata.name).toBe('root');
    expect(sidecarFor(all.slice(1), 'infra', { app: 'redis' })).toBeUndefined();
  });
});

describe('data plane counts', () => {
  const ns = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
  const svc = (name: string, namespace: string): Manifest[] => [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { template: { metadata: { labels: { app: name } } } } },
  ];
  const render: Manifest[] = [ns('shop'), ns('web'), ...svc('orders', 'shop'), ...svc('users', 'shop'), ...svc('front', 'web'),
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext', namespace: 'shop' }, spec: { hosts: ['api.example.com'], exportTo: ['.'] } }];
  const extra = [host('istiod', 'istio-system')];

  test('without Sidecars every proxy sees every host exported to its namespace', () => {
    const dp = dataPlane(render, extra);
    expect(dp.proxies).toBe(3);
    expect(dp.registry).toBe(5);
    // shop's proxies see all 5; web's does not see shop's ServiceEntry, exported to shop only
    expect(dp.withoutScoping).toEqual({ mean: (5 + 5 + 4) / 3, max: 5 });
    expect(dp.withScoping).toBeUndefined();
    expect(dp.unscoped).toBe(3);
  });

  test('with Sidecars each proxy sees only its egress hosts; a proxy no Sidecar selects still sees everything', () => {
    const sidecars: Manifest[] = [
      { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'front', namespace: 'web' },
        spec: { workloadSelector: { labels: { app: 'front' } }, egress: [{ hosts: ['shop/orders.shop.svc.cluster.local', 'istio-system/*'] }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'orders', namespace: 'shop' },
        spec: { workloadSelector: { labels: { app: 'orders' } }, egress: [{ hosts: ['./*'] }] } },
    ];
    const dp = dataPlane([...render, ...sidecars], extra);
    // front: orders + istiod = 2; orders: shop's 2 Services + its ServiceEntry = 3; users: unscoped, 5
    expect(dp.withScoping).toEqual({ mean: (2 + 3 + 5) / 3, max: 5 });
    expect(dp.unscoped).toBe(1);
  });
});
