/**
 * The protocol Istio gives a port, as istiod reads a Service port (pkg/config/kube/conversion.go): UDP is never
 * proxied; `appProtocol` wins over the port name (with Kubernetes' `kubernetes.io/h2c`, `/ws`, `/wss`); a name's
 * prefix before `-` (or `grpc-web`); an unknown protocol is sniffed, except on the well-known server-first ports
 * (SMTP 25, DNS 53, MySQL 3306, MongoDB 27017), which are TCP.
 */

/** How the sidecar's authorization filter sees a port: HTTP requests, TCP connections, or sniffed per connection. */
export type PortTraffic = 'http' | 'tcp' | 'sniffed' | 'udp';

const PARSED: Record<string, string> = {
  'tcp': 'tcp', 'udp': 'udp', 'grpc': 'grpc', 'grpc-web': 'grpc-web', 'http': 'http', 'http_proxy': 'http_proxy',
  'http2': 'http2', 'https': 'https', 'tls': 'tls', 'mongo': 'mongo', 'redis': 'redis', 'mysql': 'mysql',
};
const HTTP = new Set(['http', 'http2', 'http_proxy', 'grpc', 'grpc-web']);
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);
export const UNKNOWN_PROTOCOL = 'unknown';

/** The protocol name of a Service port (`http`, `grpc`, `tcp`, `https`, ..., `udp`, or `unknown` when Istio sniffs). */
export function servicePortProtocol(port: { port?: unknown; name?: unknown; protocol?: unknown; appProtocol?: unknown }): string {
  if (String(port.protocol ?? 'TCP').toUpperCase() === 'UDP') return 'udp';
  if (String(port.protocol ?? 'TCP').toUpperCase() === 'SCTP') return 'udp';
  let name = typeof port.name === 'string' ? port.name : '';
  if (typeof port.appProtocol === 'string') {
    name = port.appProtocol;
    if (name === 'kubernetes.io/h2c') return 'http2';
    if (name === 'kubernetes.io/ws') return 'http';
    if (name === 'kubernetes.io/wss') return 'https';
  }
  let parsed: string | undefined;
  if (name.toLowerCase().startsWith('grpc-web')) parsed = 'grpc-web';
  else parsed = PARSED[name.split('-')[0].toLowerCase()];
  if (parsed === undefined && WELL_KNOWN_TCP_PORTS.has(Number(port.port))) return 'tcp';
  return parsed ?? UNKNOWN_PROTOCOL;
}

/** How the authorization filter sees traffic of a protocol. */
export function trafficOf(protocol: string): PortTraffic {
  if (protocol === 'udp') return 'udp';
  if (protocol === UNKNOWN_PROTOCOL) return 'sniffed';
  return HTTP.has(protocol) ? 'http' : 'tcp';
}
