import { Protocol } from '../src/model/protocol';

/**
 * A random but seeded service topology for the benchmark, as plain data: both the library and the
 * raw floor render the same one, so they can be compared object for object.
 */
export interface SyntheticMesh {
  /** Namespaces in declaration order (100 services each). */
  readonly namespaces: readonly string[];
  readonly services: readonly SyntheticService[];
  readonly calls: readonly SyntheticCall[];
}

export interface SyntheticService {
  readonly name: string;
  readonly namespace: string;
  readonly ports: ReadonlyArray<{ readonly port: number; readonly protocol: Protocol }>;
}

/** `from` and `to` index `services`; `port` is one of the callee's ports. */
export interface SyntheticCall {
  readonly from: number;
  readonly to: number;
  readonly port: number;
  readonly methods?: string[];
  readonly paths?: string[];
}

export const SERVICES_PER_NAMESPACE = 100;

const { HTTP, HTTP2, GRPC, TCP } = Protocol;
/** Port layouts and how often each occurs (weights add up to 100). */
const PORT_LAYOUTS: ReadonlyArray<[number, Array<[number, Protocol]>]> = [
  [45, [[8080, HTTP]]],
  [15, [[9090, GRPC]]],
  [15, [[8080, HTTP], [9100, TCP]]],
  [10, [[5432, TCP]]],
  [10, [[8000, HTTP], [8443, HTTP2]]],
  [5, [[6379, TCP], [9121, HTTP]]],
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const NOUNS = ['orders', 'users', 'sessions', 'items', 'events', 'tokens', 'reports', 'jobs'];

/**
 * `services` services in namespaces of 100, each calling `callsPerService` distinct others, chosen
 * uniformly; each call names one of the callee's ports and, on HTTP ports, maybe methods and paths.
 */
export function syntheticMesh(services: number, callsPerService = 10, seed = 7): SyntheticMesh {
  if (callsPerService >= services) throw new Error(`${services} services cannot each call ${callsPerService} others`);
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const namespaces: string[] = [];
  const list: SyntheticService[] = [];
  for (let i = 0; i < services; i++) {
    const namespace = `team-${String(Math.floor(i / SERVICES_PER_NAMESPACE)).padStart(2, '0')}`;
    if (namespaces[namespaces.length - 1] !== namespace) namespaces.push(namespace);
    list.push({ name: `svc-${String(i).padStart(5, '0')}`, namespace, ports: layout(random()).map(([port, protocol]) => ({ port, protocol })) });
  }
  const calls: SyntheticCall[] = [];
  for (let from = 0; from < services; from++) {
    const callees = new Set<number>();
    while (callees.size < callsPerService) {
      const to = Math.floor(random() * services);
      if (to !== from) callees.add(to);
    }
    for (const to of callees) {
      const port = pick(list[to].ports);
      calls.push({ from, to, port: port.port, ...operations(port.protocol, list[to].name) });
    }
  }
  return { namespaces, services: list, calls };

  function operations(protocol: Protocol, callee: string): { methods?: string[]; paths?: string[] } {
    if (protocol === TCP) return {};
    if (protocol === GRPC) {
      const service = `bench.${callee.replace(/-/g, '_')}.Api`;
      return { methods: ['POST'], paths: [`/${service}/${pick(['Get', 'List', 'Watch'])}`] };
    }
    const methods = random() < 0.3 ? undefined : distinct(METHODS, 1 + Math.floor(random() * 3));
    const paths = random() < 0.3 ? undefined : distinct(NOUNS, 1 + Math.floor(random() * 3)).map(noun => pick([
      `/v1/${noun}`, `/v1/${noun}/{*}`, `/api/${noun}*`, `/v2/${noun}/{*}/items/{**}`,
    ]));
    return { methods, paths };
  }

  function distinct(items: readonly string[], count: number): string[] {
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(pick(items));
    return [...chosen];
  }

  function layout(r: number): Array<[number, Protocol]> {
    let weight = r * 100;
    for (const [w, ports] of PORT_LAYOUTS) {
      if (weight < w) return ports;
      weight -= w;
    }
    return PORT_LAYOUTS[0][1];
  }
}

/** A small, well-known seeded PRNG (Mulberry32): the same seed gives the same mesh on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
