import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { ExistingWorkload, ExternalHost, HealthCheck, IMeshWorkload, Mesh, MeshService, Protocol, IstioRenderer } from '../src';
import { K8sObject } from './support/manifests';
import { connectionAllowed, NetPod } from './support/network-policy';

/**
 * Random call graphs built through the library: the NetworkPolicies read back from the YAML allow exactly
 * the declared (caller, callee, port) connections between workloads, and outside addresses only to callers
 * of external hosts.
 */
const workloadSpec = fc.record({ ns: fc.integer({ min: 0, max: 2 }), peer: fc.boolean(), ports: fc.uniqueArray(fc.integer({ min: 1000, max: 1005 }), { maxLength: 2 }) });
const graphSpec = fc.record({
  workloads: fc.array(workloadSpec, { minLength: 2, maxLength: 8 }),
  calls: fc.array(fc.record({ from: fc.nat(), to: fc.nat(), port: fc.nat() }), { maxLength: 20 }),
  external: fc.array(fc.nat(), { maxLength: 3 }),
});

describe('NetworkPolicy from random call graphs', () => {
  test('allows exactly the declared connections', () => {
    fc.assert(fc.property(graphSpec, spec => {
      const chart = new Chart(Testing.app(), 'p');
      const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
      // ns0 and ns1 are created here; ns2 belongs to another chart.
      const namespaces = [mesh.addNamespace('ns0'), mesh.addNamespace('ns1'), mesh.addNamespace('ns2', { create: false })];
      const workloads: IMeshWorkload[] = spec.workloads.map((w, i) => (w.peer || w.ns === 2)
        ? new ExistingWorkload(namespaces[w.ns], `w${i}`, { selector: { app: `w${i}` }, serviceAccountName: `w${i}`, ports: w.ports.map(port => ({ port, protocol: Protocol.TCP })) })
        : new MeshService(namespaces[w.ns], `w${i}`, { image: 'example/w:1.0.0', ports: w.ports.map(port => ({ port, protocol: Protocol.TCP })), liveness: HealthCheck.command(['true']) }));
      const declared = new Set<string>();
      for (const c of spec.calls) {
        const from = workloads[c.from % workloads.length];
        const to = workloads[c.to % workloads.length];
        if (from === to || to.ports.length === 0) continue;
        const port = to.ports[c.port % to.ports.length].port;
        const key = `${from.name}>${to.name}:${port}`;
        if (declared.has(key)) continue;
        declared.add(key);
        to.allowFrom(from, { port });
      }
      const outside = new Set<string>();
      const host = new ExternalHost(mesh, 'Api', { host: 'api.example.com' });
      for (const i of new Set(spec.external.map(e => e % workloads.length))) {
        if (!workloads[i].deployed) continue;
        host.allowFrom(workloads[i]);
        outside.add(workloads[i].name);
      }
      if (outside.size === 0) host.node.scope!.node.tryRemoveChild(host.node.id);
      const policies = (Testing.synth(chart) as K8sObject[]).filter(o => o.kind === 'NetworkPolicy');
      const pods: Array<NetPod & { name: string; ports: number[] }> = workloads.map((w, i) => ({ name: w.name, namespace: w.namespace.name, labels: { ...w.selector }, ip: `10.2.0.${i + 1}`, ports: w.ports.map(p => p.port) }));
      const internet: NetPod = { namespace: '', labels: {}, ip: '52.94.1.10' };
      for (const from of pods) {
        for (const to of pods) {
          // A peer of another chart that serves no port is not guarded here: nothing listens on it.
          if (from === to || (!workloads.find(w => w.name === to.name)!.deployed && to.ports.length === 0)) continue;
          for (const port of [...to.ports, 9999]) {
            expect(`${from.name}>${to.name}:${port} ${connectionAllowed(policies, from, to, port)}`)
              .toBe(`${from.name}>${to.name}:${port} ${declared.has(`${from.name}>${to.name}:${port}`)}`);
          }
        }
        const deployedHere = workloads.find(w => w.name === from.name)!.deployed;
        if (deployedHere) expect(`${from.name} outside ${connectionAllowed(policies, from, internet, 443)}`).toBe(`${from.name} outside ${outside.has(from.name)}`);
      }
    }), { numRuns: 60 });
  });
});
