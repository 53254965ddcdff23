/**
 * Addresses inside configuration values: URLs (`http://cart:80/x`, `mongodb://a:1,b:2/db`), `host:port` tokens
 * (`productcatalogservice:3550`, `-Dredis=redis:6379`), lists of them (`kafka-0:9092,kafka-1:9092`) and, where the
 * key says it holds an address (`*_HOST`, `*_ADDR`, `*Address`, `*_URL`, `--broker`), a bare host name.
 */

/** One address named in a value. */
export interface AddressMention {
  readonly host: string;
  readonly port?: number;
  readonly scheme?: string;
  /** Whether the value says where the port comes from, when it gives none (a sibling `*_PORT` key). */
  readonly portFrom?: string;
}

/** Words in a key that say its value is an address. */
const ADDRESS_WORDS = new Set([
  'addr', 'address', 'addresses', 'host', 'hosts', 'hostname', 'server', 'servers', 'service', 'svc', 'endpoint',
  'endpoints', 'url', 'urls', 'uri', 'broker', 'brokers', 'bootstrap', 'nodes', 'seeds', 'target', 'upstream',
  'backend', 'dsn', 'collector', 'agent', 'zipkin', 'jaeger', 'proxy',
]);
/** Words in a key that say its value is the workload's own address (where it listens), not a callee's. */
const OWN_ADDRESS_WORDS = new Set(['bind', 'listen', 'listener', 'self', 'advertised', 'advertise', 'public', 'own']);

/** The lower-case words of a key: `PRODUCT_CATALOG_SERVICE_ADDR`, `GeoMongoAddress`, `spring.redis.host`, `--redis-addr`. */
export function keyWords(key: string): string[] {
  return key.replace(/^-+/, '').replace(/([a-z0-9])([A-Z])/g,
    '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

export function isAddressKey(key: string): boolean {
  const words = keyWords(key);
  if (words.length === 0) return false;
  return ADDRESS_WORDS.has(words[words.length - 1]) || (words.length > 1 && ADDRESS_WORDS.has(words[words.length - 2])
    && /^\d*$/.test(words[words.length - 1]));
}

/** Whether a key names the workload's own address (a bind or advertised address), not a callee's. */
export function isOwnAddressKey(key: string): boolean {
  return keyWords(key).some(w => OWN_ADDRESS_WORDS.has(w));
}

const LABEL = '[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?';
const HOST = `${LABEL}(?:\\.${LABEL})*`;
const URL_RE = new RegExp(`\\b([a-z][a-z0-9+.-]*)://(?:[^@/\\s'"]*@)?((?:\\[[0-9a-f:]+\\]|${HOST})(?::\\d{1,5})?(?:,(?:${HOST})(?::\\d{1,5})?)*)`, 'gi');
const HOST_PORT_RE = new RegExp(`(^|[\\s,;=('"\\[{]|^-+)(${HOST}):(\\d{1,5})(?![\\w.:/-])`, 'gi');
const IP_PORT_RE = /(^|[\s,;=('"[{])(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(?![\w.:/-])/g;
const BARE_HOSTS_RE = new RegExp(`^\\s*(${HOST})(\\s*,\\s*${HOST})*\\s*$`, 'i');

/** The addresses a value names, read in the light of its key. */
export function addressMentions(key: string, value: string): AddressMention[] {
  const found: AddressMention[] = [];
  let rest = value;
  for (const m of value.matchAll(URL_RE)) {
    const scheme = m[1].toLowerCase();
    for (const part of m[2].split(',')) {
      const hp = splitHostPort(part);
      if (hp && hasLetter(hp.host)) found.push({ host: hp.host, port: hp.port, scheme });
    }
    rest = rest.replace(m[0], ' ');
  }
  for (const m of rest.matchAll(HOST_PORT_RE)) {
    const port = Number(m[3]);
    if (hasLetter(m[2]) && port >= 1 && port <= 65535) found.push({ host: m[2].toLowerCase(), port });
  }
  for (const m of rest.matchAll(IP_PORT_RE)) found.push({ host: m[2], port: Number(m[3]) });
  if (found.length === 0 && isAddressKey(key) && BARE_HOSTS_RE.test(value) && !/^\d+$/.test(value.trim())) {
    for (const host of value.split(',').map(h => h.trim().toLowerCase())) {
      if (hasLetter(host) && !['true', 'false', 'none', 'null', 'yes', 'no', 'on',
        'off'].includes(host)) found.push({ host });
    }
  }
  return found;
}

function splitHostPort(part: string): { host: string; port?: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(part);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: m[1].toLowerCase(), port };
}

function hasLetter(host: string): boolean {
  return /[a-z]/i.test(host) && !host.startsWith('[');
}

/** The port a URL scheme implies. */
export const SCHEME_PORTS: Record<string, number> = {
  http: 80, https: 443, ws: 80, wss: 443, grpc: 80, grpcs: 443, redis: 6379, rediss: 6379, mongodb: 27017,
  postgres: 5432, postgresql: 5432, mysql: 3306, amqp: 5672, amqps: 5671, nats: 4222, kafka: 9092, memcached: 11211,
  ldap: 389, ldaps: 636, smtp: 25, ftp: 21,
};

/** Key of the sibling that gives an address key's port: `CART_HOST` -> `CART_PORT`, `dbHost` -> `dbPort`. */
export function portKeysFor(key: string): string[] {
  const m = /^(.*?)([_.-]?)(host|hostname|addr|address|server|service|svc)$/i.exec(key);
  if (!m) return [];
  const [, base, sep, word] = m;
  const port = word === word.toUpperCase() ? 'PORT' : word[0] === word[0].toUpperCase() ? 'Port' : 'port';
  return [`${base}${sep}${port}`, `${base}${sep}${port.toUpperCase()}`, `${base}${sep}${port.toLowerCase()}`,
    `${base}Port`];
}
