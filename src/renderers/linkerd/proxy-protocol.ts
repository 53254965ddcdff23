import type { IDataPlaneReservations } from '../../model/mesh-renderer';
import { Protocol } from '../../model/protocol';

/**
 * The Linkerd `Server.proxyProtocol` for a port: declaring it skips protocol detection,
 * and `opaque` makes the proxy treat TCP as a byte stream (no HTTP parsing, so no routes).
 */
export function proxyProtocol(protocol: Protocol): string {
  switch (protocol) {
    case Protocol.HTTP: return 'HTTP/1';
    case Protocol.HTTP2: return 'HTTP/2';
    case Protocol.GRPC: return 'gRPC';
    case Protocol.TCP: return 'opaque';
  }
}

/** Ports the Linkerd proxy itself listens on (inbound 4143, outbound 4140, admin 4191); an app port there would collide. */
const LINKERD_PROXY_PORTS: ReadonlySet<number> = new Set([4140, 4143, 4191]);

/** The Linkerd proxy's admin port: its metrics (`/metrics`) and readiness. */
export const LINKERD_ADMIN_PORT = 4191;

/** What the Linkerd proxy takes in every pod: its ports, and its user id 2102, whose traffic it does not intercept. */
export const LINKERD_DATA_PLANE: IDataPlaneReservations = {
  meshName: 'Linkerd',
  isReservedPort: port => LINKERD_PROXY_PORTS.has(port),
  reservedPortsText: '4140, 4143, 4191',
  reservedUserIds: [2102],
};
