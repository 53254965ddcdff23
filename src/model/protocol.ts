/**
 * The application protocol a port speaks. It decides the Service port name
 * (Istio selects its proxy protocol from the `http-`/`grpc-`/`tcp-` prefix), and
 * whether authorization rules may name HTTP methods and paths on that port.
 */
export enum Protocol {
  /** HTTP/1.1 (or HTTP/2 upgraded by the client). */
  HTTP = 'HTTP',
  /** HTTP/2 with prior knowledge. */
  HTTP2 = 'HTTP2',
  /** gRPC, which is HTTP/2: methods (always POST) and paths (`/pkg.Service/Method`) apply. */
  GRPC = 'GRPC',
  /** Opaque TCP: Istio sees no HTTP request, so only ports can be authorized. */
  TCP = 'TCP',
}

const PORT_NAME_PREFIX: Record<Protocol, string> = {
  [Protocol.HTTP]: 'http',
  [Protocol.HTTP2]: 'http2',
  [Protocol.GRPC]: 'grpc',
  [Protocol.TCP]: 'tcp',
};

/** Whether Istio parses requests on this protocol, so that methods and paths can match. */
export function carriesHttp(protocol: Protocol): boolean {
  return protocol !== Protocol.TCP;
}

/** The Istio port name for a port, for example `http-10000` or `tcp-6379`. */
export function portName(protocol: Protocol, port: number): string {
  return `${PORT_NAME_PREFIX[protocol]}-${port}`;
}

/** The Kubernetes `appProtocol` value Istio reads, lower case as Istio documents it. */
export function appProtocol(protocol: Protocol): string {
  return PORT_NAME_PREFIX[protocol];
}
