import type { ProposedProtocol } from './proposal';

/**
 * The protocol of a port, read in order from what is most explicit: the Service port's `appProtocol`, the Service or
 * container port's name (Istio's `grpc-`/`http-`/`tcp-` prefixes and common names), a well-known port number, the
 * image; else HTTP, the library's default, marked as assumed.
 */

const BY_NAME: Record<string, ProposedProtocol> = {
  grpc: 'GRPC', 'grpc-web': 'GRPC', http: 'HTTP', web: 'HTTP', metrics: 'HTTP', prometheus: 'HTTP', http2: 'HTTP2',
    h2c: 'HTTP2',
  'kubernetes.io/h2c': 'HTTP2', tcp: 'TCP', tls: 'TCP', https: 'TCP', mongo: 'TCP', mongodb: 'TCP', redis: 'TCP',
  mysql: 'TCP', postgres: 'TCP', postgresql: 'TCP', amqp: 'TCP', amqps: 'TCP', rabbitmq: 'TCP', kafka: 'TCP',
  memcache: 'TCP', memcached: 'TCP', zookeeper: 'TCP', zk: 'TCP', nats: 'TCP', cassandra: 'TCP', cql: 'TCP',
    mqtt: 'TCP',
  'kubernetes.io/ws': 'HTTP', 'kubernetes.io/wss': 'TCP', mssql: 'TCP', oracle: 'TCP', clickhouse: 'TCP', udp: 'TCP',
};

/** Ports whose protocol every deployment shares. */
const WELL_KNOWN: Record<number, ProposedProtocol> = {
  80: 'HTTP', 8080: 'HTTP', 443: 'TCP', 3306: 'TCP', 5432: 'TCP', 6379: 'TCP', 27017: 'TCP', 11211: 'TCP', 9092: 'TCP',
  2181: 'TCP', 5672: 'TCP', 5671: 'TCP', 4222: 'TCP', 9042: 'TCP', 1433: 'TCP', 1521: 'TCP', 26257: 'TCP',
  9411: 'HTTP', 14268: 'HTTP', 4317: 'GRPC', 4318: 'HTTP', 8500: 'HTTP', 9090: 'HTTP', 3100: 'HTTP', 9200: 'HTTP',
  15672: 'HTTP', 7233: 'GRPC', 8200: 'HTTP', 6333: 'HTTP',
};

/** Image words of databases, caches and brokers: their ports speak their own protocol (TCP to the mesh). */
export const INFRASTRUCTURE_IMAGE_WORDS = new Set([
  'redis', 'valkey', 'keydb', 'postgres', 'postgresql', 'mongo', 'mongodb', 'mysql', 'mariadb', 'memcached', 'kafka',
  'zookeeper', 'rabbitmq', 'nats', 'cassandra', 'scylla', 'elasticsearch', 'opensearch', 'etcd', 'cockroach',
  'cockroachdb', 'clickhouse', 'minio', 'qdrant', 'influxdb', 'consul', 'db', 'database', 'pulsar', 'activemq',
  'neo4j', 'couchdb', 'couchbase', 'dynamodb', 'mssql', 'oracle', 'timescaledb', 'vitess', 'spanner', 'emqx',
    'mosquitto',
]);

/** The words of an image's repository name: `bitnami/redis:7.2` -> `redis`; `weaveworksdemos/user-db:0.4.0` -> `user`, `db`. */
export function imageWords(image: string): string[] {
  const name = image.split('@')[0];
  const last = name.slice(name.lastIndexOf('/') + 1).split(':')[0];
  return last.toLowerCase().split(/[-_.]+/).filter(Boolean);
}

/** Whether an image runs a database, cache or broker, and which word says so. */
export function infrastructureWord(image: string): string | undefined {
  return imageWords(image).find(w => INFRASTRUCTURE_IMAGE_WORDS.has(w));
}

export interface ProtocolHints {
  readonly appProtocol?: string;
  readonly names: Array<string | undefined>;
  readonly port: number;
  readonly image: string;
  readonly infrastructure: boolean;
}

export function guessProtocol(h: ProtocolHints): { protocol: ProposedProtocol; from: string } {
  if (h.appProtocol) {
    const p = BY_NAME[h.appProtocol.toLowerCase()];
    if (p) return { protocol: p, from: `appProtocol ${h.appProtocol}` };
  }
  for (const name of h.names) {
    if (!name) continue;
    const lower = name.toLowerCase();
    const prefix = lower.split('-')[0];
    const p = BY_NAME[lower] ?? BY_NAME[prefix];
    if (p) return { protocol: p, from: `port name ${name}` };
  }
  if (h.infrastructure) return { protocol: 'TCP', from: `image ${h.image}` };
  if (imageWords(h.image).some(w => w.includes('grpc'))) return { protocol: 'GRPC', from: `image ${h.image}` };
  const known = WELL_KNOWN[h.port];
  if (known) return { protocol: known, from: `well-known port ${h.port}` };
  return { protocol: 'HTTP', from: 'assumed (nothing names it)' };
}
