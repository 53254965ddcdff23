import { renderedJson } from '../rendered-json';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { Mesh } from '../../model/mesh';
import { IstioTrafficRoutes } from './service-routes';

/**
 * One VirtualService and one DestinationRule per host across the whole app: Istio merges several mesh
 * VirtualServices for one host in an undefined order (IST0109, KIA1106), and several DestinationRules
 * for one host fight over subsets (KIA0201). Short hosts resolve in the resource's own namespace.
 */
export class IstioHostCheck extends Construct {
  /** The check of a mesh, created once. */
  public static of(mesh: Mesh): IstioHostCheck {
    const existing = mesh.node.tryFindChild('IstioHostCheck');
    return existing instanceof IstioHostCheck ? existing : new IstioHostCheck(mesh, 'IstioHostCheck', mesh.clusterDomain);
  }

  private constructor(scope: Construct, id: string, private readonly clusterDomain: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.check() });
  }

  private check(): string[] {
    const byHost = new Map<string, string[]>();
    for (const c of this.node.root.node.findAll()) {
      if (!(c instanceof ApiObject) || !c.apiVersion.startsWith('networking.istio.io/')) continue;
      if (c.kind !== 'VirtualService' && c.kind !== 'DestinationRule') continue;
      // Our own routes know their host; anything else (a hand-written VirtualService, say) is read as rendered.
      const own = c.node.scope instanceof IstioTrafficRoutes ? c.node.scope : undefined;
      const spec = own ? (c.kind === 'VirtualService' ? { hosts: [own.host] } : { host: own.host }) : renderedJson(c).spec ?? {};
      if (c.kind === 'VirtualService' && spec.gateways && !spec.gateways.includes('mesh')) continue; // gateway-only routes
      const namespace = c.metadata.namespace ?? 'default';
      const hosts: string[] = c.kind === 'VirtualService' ? spec.hosts ?? [] : [spec.host];
      for (const host of hosts) {
        const key = `${c.kind} ${this.fqdn(host, namespace)}`;
        const list = byHost.get(key) ?? [];
        list.push(c.node.path);
        byHost.set(key, list);
      }
    }
    return [...byHost.entries()].filter(([, paths]) => paths.length > 1).map(([key, paths]) =>
      `the routes of ${key.split(' ')[1]} are declared in two places (${key.split(' ')[0]}s ${paths.join(' and ')}): keep one ${key.split(' ')[0]} per host, declared through the service's traffic`);
  }

  private fqdn(host: string, namespace: string): string {
    if (host.includes('*')) return host;
    const parts = host.split('.');
    if (parts.length === 1) return `${host}.${namespace}.svc.${this.clusterDomain}`;
    if (parts.length === 2) return `${host}.svc.${this.clusterDomain}`;
    if (parts.length === 3 && parts[2] === 'svc') return `${host}.${this.clusterDomain}`;
    return host;
  }
}
