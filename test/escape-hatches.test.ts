import { Chart, JsonPatch, Testing } from 'cdk8s';
import { ExternalHost, IstioRenderer, istio, Mesh, MeshService, WorkloadNetworkPolicy } from '../src';
import { K8sObject } from './support/manifests';

/** Every generated object is reachable as a typed property, so one field of one object changes without a fork. */
test('one field of each generated object, changed through its typed property', () => {
  const chart = new Chart(Testing.app(), 'shop', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const shop = mesh.addNamespace('shop');
  const web = new MeshService(shop, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }], disruptionBudget: {} });
  const orders = new MeshService(shop, 'orders', { image: 'example/orders:1.0.0', ports: [{ port: 9000 }], autoscaling: { maxReplicas: 4 } });
  orders.allowFrom(web, { methods: ['GET'] });

  shop.resource!.metadata.addLabel('team', 'checkout');
  web.versions[0].deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'high'));
  web.service!.addJsonPatch(JsonPatch.add('/spec/sessionAffinity', 'ClientIP'));
  web.disruptionBudget!.addJsonPatch(JsonPatch.add('/spec/unhealthyPodEvictionPolicy', 'AlwaysAllow'));
  orders.versions[0].autoscaler!.addJsonPatch(JsonPatch.replace('/spec/maxReplicas', 8));
  const stripe = new ExternalHost(mesh, 'Stripe', { host: 'api.stripe.com' });
  stripe.allowFrom(orders);
  mesh.render(); // what the renderer creates exists once the mesh is rendered; nothing can be declared after
  istio.WorkloadSidecar.of(web)!.resource.addJsonPatch(JsonPatch.add('/metadata/annotations', { owner: 'checkout' }));
  istio.CallerPolicy.of(orders)!.resource.metadata.addAnnotation('istio.io/dry-run', 'false');
  istio.IstioTrafficRoutes.of(orders)!.destinationRule.addJsonPatch(JsonPatch.replace('/spec/trafficPolicy/loadBalancer', { simple: 'LEAST_REQUEST' }));
  WorkloadNetworkPolicy.of(web)!.resource.metadata.addLabel('audited', 'yes');
  IstioRenderer.peerAuthenticationOf(shop)!.metadata.addLabel('audited', 'yes');
  IstioRenderer.allowNothingOf(shop)!.metadata.addAnnotation('owner', 'security');
  IstioRenderer.serviceEntryOf(stripe, shop)!.resource.addJsonPatch(JsonPatch.add('/spec/location', 'MESH_EXTERNAL'));
  expect(IstioRenderer.peerAuthenticationOf(web)).toBeUndefined(); // its namespace's policy covers it
  expect(istio.WorkloadSidecar.of(orders)).toBeDefined();
  expect(istio.CallerPolicy.of(web)).toBeUndefined(); // nobody calls web

  const objects = Testing.synth(chart) as K8sObject[];
  const find = (kind: string, name: string) => objects.find(o => o.kind === kind && o.metadata.name === name)!;
  expect(find('Namespace', 'shop').metadata.labels!.team).toBe('checkout');
  expect(find('Deployment', 'web-v1').spec.template.spec.priorityClassName).toBe('high');
  expect(find('Service', 'web').spec.sessionAffinity).toBe('ClientIP');
  expect(find('PodDisruptionBudget', 'web').spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  expect(find('HorizontalPodAutoscaler', 'orders-v1').spec.maxReplicas).toBe(8);
  expect(objects.find(o => o.kind === 'Sidecar' && o.spec.workloadSelector.labels.app === 'web')!.metadata.annotations).toEqual({ owner: 'checkout' });
  expect(find('AuthorizationPolicy', 'orders-callers').metadata.annotations).toEqual({ 'istio.io/dry-run': 'false' });
  expect(find('DestinationRule', 'orders').spec.trafficPolicy.loadBalancer).toEqual({ simple: 'LEAST_REQUEST' });
  expect(find('NetworkPolicy', 'web-calls').metadata.labels!.audited).toBe('yes');
  expect(objects.find(o => o.kind === 'PeerAuthentication' && o.metadata.namespace === 'shop')!.metadata.labels).toEqual({ audited: 'yes' });
  expect(find('AuthorizationPolicy', 'allow-nothing').metadata.annotations).toEqual({ owner: 'security' });
  expect(objects.find(o => o.kind === 'ServiceEntry')!.spec.location).toBe('MESH_EXTERNAL');
});

test('an escape hatch taken before synth renders the mesh, and a declaration after it is refused naming the mesh', () => {
  const chart = new Chart(Testing.app(), 'shop', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const shop = mesh.addNamespace('shop');
  const web = new MeshService(shop, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });
  const orders = new MeshService(shop, 'orders', { image: 'example/orders:1.0.0', ports: [{ port: 9000 }] });
  orders.allowFrom(web, { methods: ['GET'] });
  // No mesh.render(): the escape hatch renders, instead of answering undefined.
  istio.CallerPolicy.of(orders)!.resource.metadata.addAnnotation('owner', 'checkout');
  const policy = Testing.synth(chart).find((o: K8sObject) => o.kind === 'AuthorizationPolicy' && o.metadata.annotations?.owner !== undefined);
  expect(policy?.metadata.annotations).toEqual({ owner: 'checkout' });
  expect(policy?.spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/shop/sa/web']);
  expect(() => new MeshService(shop, 'late', { image: 'example/late:1.0.0' })).toThrow(/shop\/Mesh/);
});
