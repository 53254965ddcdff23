import { PeerWorkload } from '../src/review/inventory';
import { linkerdAccessMatrix } from '../src/review/linkerd/access';
import { AccessMatrix, accessMatrix } from '../src/review/matrix';
import { peerOf } from '../src/renderers/istio/analyzer-peers';
import { declareSockShop, SOCK_SHOP_NAMESPACE } from './apps/sock-shop';
import { AmbientMesh } from './support/ambient-authz';
import { isAllowed } from './support/istio-authz';
import { decide } from './support/linkerd-authz';
import { K8sObject, ofKind } from './support/manifests';
import { MESHES, MeshName, renderOn, schemaErrors } from './support/three-meshes';

/**
 * A second application from outside: Weaveworks' Sock Shop, declared in test/apps/sock-shop.ts from its public
 * manifests, rendered for the three meshes and read back, by the review's matrix and by this suite's own oracles,
 * against the call graph below.
 *
 * The graph, in our words (Sock Shop's design: a storefront over five business services and their stores):
 * - the public storefront (front-end) is reached from the ingress gateway, by anyone;
 * - front-end reads the catalogue (GET only) and works carts, orders and user accounts; it keeps sessions in session-db;
 * - orders reads carts and user, charges through payment and hands the parcel to shipping, and keeps orders-db;
 * - catalogue, carts and user each keep their own store (catalogue-db MySQL, carts-db and user-db MongoDB);
 * - shipping publishes to rabbitmq, where queue-master consumes.
 * Ports are the container ports the pods listen on (front-end's Service port 80 leads to 8079).
 */
const GRAPH: Array<[string, string, number, string[]]> = [
  ['istio-system/istio-ingressgateway', 'front-end', 8079, []],
  ['front-end', 'catalogue', 80, ['GET']],
  ['front-end', 'carts', 80, []],
  ['front-end', 'orders', 80, []],
  ['front-end', 'user', 80, []],
  ['front-end', 'session-db', 6379, []],
  ['orders', 'carts', 80, []],
  ['orders', 'user', 80, []],
  ['orders', 'payment', 80, []],
  ['orders', 'shipping', 80, []],
  ['orders', 'orders-db', 27017, []],
  ['catalogue', 'catalogue-db', 3306, []],
  ['carts', 'carts-db', 27017, []],
  ['user', 'user-db', 27017, []],
  ['shipping', 'rabbitmq', 5672, []],
  ['queue-master', 'rabbitmq', 5672, []],
];
const id = (name: string) => (name.includes('/') ? name : `${SOCK_SHOP_NAMESPACE}/${name}`);
const EXPECTED = GRAPH.map(([from, to, port, methods]) => `${id(from)} -> ${id(to)}:${port} ${methods.join(',') || '*'}`).sort();
const SHOP = [...new Set(GRAPH.flatMap(([from, to]) => [from, to]).filter(n => !n.includes('/')))];
const PORTS: Record<string, number> = Object.fromEntries(GRAPH.map(([, to, port]) => [to, port]));

/** The Linkerd edge's identity: the Gateway API controller's ServiceAccount (three-meshes.ts), in the gateway's place. */
const LINKERD_EDGE = 'the caller\'s identity in [envoy.envoy-gateway-system.serviceaccount.identity.linkerd.cluster.local]';

/** The matrix's rows that are calls: unconditional rows between workloads, and on Linkerd the edge's identity. */
function calls(matrix: AccessMatrix): string[] {
  return matrix.entries.flatMap(e => {
    const from = e.conditions.length === 1 && e.conditions[0] === LINKERD_EDGE ? 'istio-system/istio-ingressgateway'
      : e.conditions.length === 0 && e.from.includes('/') ? e.from : undefined;
    if (!from) return [];
    return [`${from} -> ${e.to}:${e.port} ${e.methods.join(',') || '*'}${e.paths.length > 0 ? ` ${e.paths}` : ''}`];
  }).sort();
}

/** What each render's review must say beyond the calls, and what synth reports. */
const TCP_PROBED = ['carts-db', 'catalogue-db', 'orders-db', 'rabbitmq', 'session-db', 'user-db'];

describe.each(MESHES)('Sock Shop on %s', mesh => {
  let peers: PeerWorkload[] = [];
  const { objects, warnings } = renderOn(mesh, m => {
    const shop = declareSockShop(m);
    peers = [peerOf(shop.ingress)];
  });

  test('renders valid objects: every custom resource against its CRD, the rest against Kubernetes\' schemas', () => {
    expect(schemaErrors(objects)).toEqual([]);
    expect(ofKind(objects, 'Deployment').map(d => d.metadata.name).sort()).toEqual(SHOP.map(n => `${n}-v1`).sort());
  });

  test('reports only what the manifests leave open', () => {
    // The manifests give the stores no probe: Linkerd says once per store that a TCP check proves nothing behind its proxy.
    // (Ambient's note on the install's default retries is about the install, not the shop.)
    const expected = mesh === 'linkerd' ? TCP_PROBED.map(n => expect.stringMatching(new RegExp(`^\\[c/Mesh/sock-shop/${n}\\] Linkerd: the TCP probe of ${n} always succeeds`))) : [];
    expect(warnings.filter(w => !/defaultHttpRetryPolicy/.test(w))).toEqual(expect.arrayContaining(expected));
    expect(warnings.filter(w => !/defaultHttpRetryPolicy/.test(w))).toHaveLength(expected.length);
  });

  test('the review\'s matrix reads back exactly the stated graph', () => {
    const matrix = mesh === 'linkerd' ? linkerdAccessMatrix(objects, { peers }) : accessMatrix(objects, { peers });
    expect(calls(matrix)).toEqual(EXPECTED);
  });

  test('an independent oracle admits each stated call and refuses every other pair', () => {
    const allowed = (from: string, to: string, method: string): boolean => decideOn(mesh, objects, from, to, PORTS[to], method);
    const wrong: string[] = [];
    for (const to of Object.keys(PORTS).filter(n => n !== 'front-end')) {
      for (const from of SHOP) {
        const stated = GRAPH.find(([f, t]) => f === from && t === to);
        for (const method of ['GET', 'POST']) {
          const expected = !!stated && (stated[3].length === 0 || stated[3].includes(method));
          if (allowed(from, to, method) !== expected) wrong.push(`${from} ${method} ${to}: ${!expected ? 'admitted' : 'refused'}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** One request from a shop workload to another's port, decided by the suite's own model of the mesh. */
function decideOn(mesh: MeshName, objects: K8sObject[], from: string, to: string, port: number, method: string): boolean {
  const principal = `cluster.local/ns/${SOCK_SHOP_NAMESPACE}/sa/${from}`;
  const labels = { app: to, version: 'v1' };
  const tcp = !['catalogue', 'carts', 'orders', 'user', 'payment', 'shipping', 'queue-master'].includes(to);
  if (mesh === 'linkerd') {
    return decide(objects, { namespace: SOCK_SHOP_NAMESPACE, labels }, {
      serviceAccount: { name: from, namespace: SOCK_SHOP_NAMESPACE }, sourceIp: '10.244.1.1', port, ...(tcp ? {} : { method, path: '/items' }),
    }, 'deny').allowed;
  }
  if (mesh === 'istio') {
    const policies = ofKind(objects, 'AuthorizationPolicy');
    return isAllowed(policies, { namespace: SOCK_SHOP_NAMESPACE, labels, serviceAccount: to, portProtocols: { [port]: tcp ? 'tcp' : 'http' } },
      { principal, port, ...(tcp ? {} : { method, path: '/items' }) });
  }
  return new AmbientMesh(objects).decide({ namespace: SOCK_SHOP_NAMESPACE, labels }, to, { principal, via: 'service', port, method, path: '/items' }).allowed;
}
