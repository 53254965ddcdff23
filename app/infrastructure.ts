import { Protocol } from '../src';

/**
 * Infrastructure peers deployed by other charts (call-graph.json, "infra"): declared so that they
 * can be called and guarded, never deployed here.
 */
export interface SomaPeer {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly selector: Record<string, string>;
  readonly ports: ReadonlyArray<{ port: number; protocol: Protocol }>;
}

const { HTTP, GRPC, TCP } = Protocol;
const peer = (name: string, namespace: string, serviceAccount: string, ports: Array<[number, Protocol]>): SomaPeer =>
  ({ name, namespace, serviceAccount, selector: { app: name }, ports: ports.map(([port, protocol]) => ({ port, protocol })) });

export const SOMA_PEERS: readonly SomaPeer[] = [
  peer('redis', 'soma-infra', 'redis', [[6379, TCP]]),
  peer('kafka', 'soma-infra', 'kafka', [[9092, TCP], [9101, TCP]]),
  peer('clickhouse', 'soma-infra', 'clickhouse', [[8123, HTTP], [9000, TCP]]),
  peer('qdrant', 'soma-infra', 'qdrant', [[6333, HTTP]]),
  peer('app-postgres', 'soma-infra', 'app-postgres', [[5432, TCP]]),
  peer('temporal-frontend', 'temporal', 'temporal', [[7233, GRPC], [9090, HTTP]]),
  peer('otel-collector', 'observability', 'otel-collector', [[4317, GRPC], [4318, HTTP], [8889, HTTP]]),
  peer('loki', 'observability', 'loki', [[3100, HTTP]]),
  peer('prometheus-pushgateway', 'observability', 'prometheus-pushgateway', [[9091, HTTP]]),
];

/** Istio's ingress gateway, the one caller from outside the graph (call-graph.json's istio-ingressgateway edge). */
export const SOMA_INGRESS_GATEWAY = {
  name: 'istio-ingressgateway',
  namespace: 'istio-system',
  serviceAccount: 'istio-ingressgateway-service-account',
  selector: { istio: 'ingressgateway' },
};
