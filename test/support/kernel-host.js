// A host language's side of jsii, in a process of its own: loads the packed tarballs into the jsii kernel and drives
// the README's first example through it (create, invoke, static invoke, get, callbacks), as the Python, Java, .NET
// and Go runtimes do over their protocol. Usage: node kernel-host.js TARBALLS_JSON OUTDIR MODE
// MODE `app`: the README example, then app.synth(); `callback`: the same charts declared by a host-implemented
// IAppBuilder that Synthesis.atomically calls back.
const { Kernel } = require('@jsii/kernel');

const [tarballsJson, outdir, mode] = process.argv.slice(2);
const tarballs = JSON.parse(tarballsJson); // [{ name, version, tarball }], dependencies first

const hostObjects = new Map();
const kernel = new Kernel(callback => {
  // The kernel calls a method a host object overrides: run the host's code.
  const target = hostObjects.get(callback.invoke.objref['$jsii.byref']);
  return target[callback.invoke.method](...(callback.invoke.args ?? []));
});
for (const t of tarballs) kernel.load(t);

const create = (fqn, ...args) => kernel.create({ fqn, args });
const invoke = (objref, method, ...args) => kernel.invoke({ objref, method, args }).result;
const sinvoke = (fqn, method, ...args) => kernel.sinvoke({ fqn, method, args }).result;
const enumOf = (fqn, member) => ({ '$jsii.enum': `${fqn}/${member}` });
const HTTP = enumOf('soma-mesh.Protocol', 'HTTP');
const TCP = enumOf('soma-mesh.Protocol', 'TCP');

/** The README's "Use the constructs in your own chart" example, call by call. */
function declare(app) {
  const chart = create('cdk8s.Chart', app, 'shop', { disableResourceNameHashes: true });
  const renderer = create('soma-mesh.IstioRenderer');
  const mesh = create('soma-mesh.Mesh', chart, 'Mesh', { renderer });
  const shop = invoke(mesh, 'addNamespace', 'shop');
  const infra = invoke(mesh, 'addNamespace', 'infra', { create: false });
  const web = create('soma-mesh.MeshService', shop, 'web', {
    image: 'example/web:1.4.2',
    ports: [{ port: 8080, protocol: HTTP }],
    liveness: sinvoke('soma-mesh.HealthCheck', 'http', '/healthz'),
  });
  const orders = create('soma-mesh.MeshService', shop, 'orders', {
    image: 'example/orders:2.0.1',
    ports: [{ port: 9000, protocol: HTTP }],
  });
  const redis = create('soma-mesh.ExistingWorkload', infra, 'redis', {
    selector: { app: 'redis' }, serviceAccountName: 'redis', ports: [{ port: 6379, protocol: TCP }],
  });
  invoke(orders, 'allowFrom', web, { methods: ['GET', 'POST'], paths: ['/v1/orders', '/v1/orders/{*}'] });
  invoke(redis, 'allowFrom', orders);
  // A property read back across the boundary: the callee's policy names its caller's identity.
  const principal = kernel.get({ objref: web, property: 'principal' }).value;
  if (principal !== 'cluster.local/ns/shop/sa/web') throw new Error(`unexpected principal ${principal}`);
}

if (mode === 'app') {
  const app = create('cdk8s.App', { outdir });
  declare(app);
  invoke(app, 'synth');
} else {
  // A host object implementing soma-mesh.IAppBuilder: the kernel calls its populate() back.
  const builder = kernel.create({ fqn: 'Object', interfaces: ['soma-mesh.IAppBuilder'], overrides: [{ method: 'populate' }] });
  hostObjects.set(builder['$jsii.byref'], { populate: app => declare(app) });
  sinvoke('soma-mesh.Synthesis', 'atomically', outdir, builder);
}
