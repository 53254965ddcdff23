import { IConstruct } from 'constructs';
import { HealthCheck } from './health-check';
import { describeValue, PropsCheck } from './props-check';
import { Protocol } from './protocol';
import { LoadBalancing, RetryCondition } from './resilience';

/**
 * The type and range of every prop of the model's constructs and methods, checked once at the boundary (before
 * anything is made), so that a JavaScript caller's mistake is `[path] prop: what is wrong; fix`. Rules between
 * props (a metrics port the service serves, a retry budget that fits the timeout) stay with each construct.
 */

/** The path a construct about to be made under `scope` with `id` will have. */
export function pathOf(scope: unknown, id: unknown): string {
  const parent = isConstruct(scope) ? scope.node.path : '';
  const name = typeof id === 'string' ? id : '';
  return parent && name ? `${parent}/${name}` : parent || name || '<root>';
}

export function isConstruct(value: unknown): value is IConstruct {
  return typeof value === 'object' && value !== null && typeof (value as IConstruct).node === 'object' && (value as IConstruct).node !== null;
}

/**
 * The scope and name of a construct: `scope` must be a construct having `need` (a check of its kind), `name` a
 * non-empty string. Checked before the construct exists, so the message is this library's, not the constructs
 * library's ("Only root constructs may have an empty ID").
 */
export function checkScopeAndName(scope: unknown, scopeKind: string, isKind: (s: any) => boolean, name: unknown, nameWhat: string, example: string): PropsCheck {
  const at: PropsCheck = new PropsCheck(pathOf(scope, name));
  if (!isConstruct(scope) || !isKind(scope)) at.fail('scope', `${scope === undefined ? 'is missing' : `${describeScope(scope)} is not a ${scopeKind}`}`, `create it in a ${scopeKind}, for example ${example}`);
  if (typeof name !== 'string') at.fail(nameWhat, `${name === undefined ? 'is missing' : `${JSON.stringify(name) ?? String(name)} is not a string`}`, `give a name, for example ${example}`);
  if (name.length === 0) at.fail(nameWhat, 'is empty', `give a name, for example ${example}`);
  return at;
}

/** A MeshNamespace, told apart without importing it (it imports the workloads). */
export function isNamespace(scope: any): boolean {
  return typeof scope.name === 'string' && isConstruct(scope.mesh);
}

/** A Mesh, told apart the same way. */
export function isMesh(scope: any): boolean {
  return typeof scope.callGraph === 'object' && scope.callGraph !== null && typeof scope.addNamespace === 'function';
}

function describeScope(scope: unknown): string {
  if (scope === null) return 'null';
  return isConstruct(scope) ? `"${scope.node.path || '<root>'}"` : typeof scope;
}

/** Ports a workload serves: `[{ port: 8080, protocol: Protocol.HTTP }]`. */
export function checkPorts(at: PropsCheck, prop: string, ports: unknown): void {
  at.array(prop, ports as any[], '[{ port: 8080 }]', (p, item) => {
    at.object(item, p, '{ port: 8080, protocol: Protocol.HTTP }');
    at.integer(`${item}.port`, p.port, 1, 65535, false);
    at.integer(`${item}.targetPort`, p.targetPort, 1, 65535);
    at.oneOf(`${item}.protocol`, p.protocol, Protocol as any, 'Protocol');
  });
}

export function checkHealthCheck(at: PropsCheck, prop: string, value: unknown): void {
  at.instance(prop, value, HealthCheck, 'HealthCheck.http("/healthz"), HealthCheck.tcp() or HealthCheck.command([...])');
}

/** Retries of a service or a call. */
export function checkRetryOptions(at: PropsCheck, prop: string, retries: unknown): void {
  if (retries === undefined) return;
  const r = at.object<any>(prop, retries, '{ attempts: 2 }');
  at.integer(`${prop}.attempts`, r.attempts, 0, 10);
  at.duration(`${prop}.perTryTimeout`, r.perTryTimeout);
  at.array(`${prop}.on`, r.on, '[RetryCondition.CONNECT_FAILURE, RetryCondition.RESET]', (c, item) => at.oneOf(item, c, RetryCondition as any, 'RetryCondition', false));
}

/** A fault drill of a service or a call. */
export function checkFaultInjection(at: PropsCheck, prop: string, fault: unknown): void {
  if (fault === undefined) return;
  const f = at.object<any>(prop, fault, '{ abort: { percent: 10, httpStatus: 503 } }');
  if (f.delay !== undefined) {
    const d = at.object<any>(`${prop}.delay`, f.delay, '{ percent: 10, duration: Duration.seconds(2) }');
    at.number(`${prop}.delay.percent`, d.percent, 0, 100, false);
    at.duration(`${prop}.delay.duration`, d.duration, false);
  }
  if (f.abort !== undefined) {
    const a = at.object<any>(`${prop}.abort`, f.abort, '{ percent: 10, httpStatus: 503 }');
    at.number(`${prop}.abort.percent`, a.percent, 0, 100, false);
    at.integer(`${prop}.abort.httpStatus`, a.httpStatus, 200, 599, false);
  }
}

/** A service's resilience. */
export function checkResilienceOptions(at: PropsCheck, prop: string, resilience: unknown): void {
  if (resilience === undefined) return;
  const r = at.object<any>(prop, resilience, '{ timeout: Duration.seconds(10) }');
  at.duration(`${prop}.timeout`, r.timeout);
  checkRetryOptions(at, `${prop}.retries`, r.retries);
  if (r.connectionPool !== undefined) {
    const pool = at.object<any>(`${prop}.connectionPool`, r.connectionPool, '{ maxConnections: 100 }');
    for (const key of ['maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRequestsPerConnection']) {
      at.integer(`${prop}.connectionPool.${key}`, pool[key], 1, Number.MAX_SAFE_INTEGER);
    }
    at.duration(`${prop}.connectionPool.connectTimeout`, pool.connectTimeout);
  }
  if (r.outlierDetection !== undefined) {
    const o = at.object<any>(`${prop}.outlierDetection`, r.outlierDetection, '{ consecutiveServerErrors: 5 }');
    at.integer(`${prop}.outlierDetection.consecutiveServerErrors`, o.consecutiveServerErrors, 1, Number.MAX_SAFE_INTEGER);
    at.duration(`${prop}.outlierDetection.interval`, o.interval);
    at.duration(`${prop}.outlierDetection.baseEjectionTime`, o.baseEjectionTime);
    at.integer(`${prop}.outlierDetection.maxEjectionPercent`, o.maxEjectionPercent, 0, 100);
  }
  at.oneOf(`${prop}.loadBalancing`, r.loadBalancing, LoadBalancing as any, 'LoadBalancing');
  checkFaultInjection(at, `${prop}.fault`, r.fault);
}

/** MeshServiceProps, each prop's type and range. */
export function checkMeshServiceProps(at: PropsCheck, props: unknown): void {
  const p = at.object<any>('props', props, '{ image: "example/web:1.4.2", ports: [{ port: 8080 }] }');
  at.knownKeys('', p, 'MeshServiceProps');
  at.string('image', p.image, '"example/web:1.4.2"', false);
  checkPorts(at, 'ports', p.ports);
  at.string('version', p.version, '"v1"', true);
  at.integer('replicas', p.replicas, 0, 10000);
  at.string('serviceAccountName', p.serviceAccountName, '"web"', true);
  checkHealthCheck(at, 'liveness', p.liveness);
  checkHealthCheck(at, 'readiness', p.readiness);
  if (p.resources !== undefined) at.object('resources', p.resources, '{ cpu: { request: Cpu.millis(100) }, memory: { limit: Size.mebibytes(512) } }');
  at.record('env', p.env, '{ LOG_LEVEL: "info" }', (_name, value, item) => {
    if (typeof value !== 'string' && (typeof value !== 'object' || value === null)) {
      at.fail(item, `${value === undefined ? 'is missing' : `${JSON.stringify(value) ?? typeof value} is not a string`}`, `write the value as a string, such as "${String(value)}"`);
    }
  });
  at.array('command', p.command, '["python", "app/main.py"]', (c, item) => at.string(item, c, '"python"'));
  at.array('args', p.args, '["--port", "8080"]', (c, item) => at.string(item, c, '"--port"', false, true));
  at.array('envFrom', p.envFrom, '[Env.fromConfigMap(configMap)]', (e, item) => at.object(item, e, 'Env.fromConfigMap(configMap)'));
  at.array('volumeMounts', p.volumeMounts, '[{ volume, path: "/etc/config" }]', (v, item) => at.object(item, v, '{ volume, path: "/etc/config" }'));
  if (p.autoscaling !== undefined) at.object('autoscaling', p.autoscaling, '{ minReplicas: 2, maxReplicas: 10 }');
  if (p.disruptionBudget !== undefined) at.object('disruptionBudget', p.disruptionBudget, '{ minAvailable: 1 }');
  at.integer('runAsUser', p.runAsUser, 0, 2147483647);
  if (p.metrics !== undefined) {
    const m = at.object<any>('metrics', p.metrics, '{ path: "/metrics", port: 8080 }');
    at.string('metrics.path', m.path, '"/metrics"');
    at.integer('metrics.port', m.port, 1, 65535);
  }
  checkResilienceOptions(at, 'resilience', p.resilience);
  at.declaredTypes('', p, 'MeshServiceProps');
}

/** Options of one more version of a service. */
export function checkVersionOptions(at: PropsCheck, version: unknown, options: unknown): void {
  at.string('version', version, '"v2"', false);
  const o = at.object<any>('options', options, '{ image: "example/web:2.0.0", replicas: 1 }', true);
  at.knownKeys('options', o, 'ServiceVersionOptions');
  at.string('options.image', o.image, '"example/web:2.0.0"', true);
  at.integer('options.replicas', o.replicas, 0, 10000);
  at.declaredTypes('options', o, 'ServiceVersionOptions');
}

/** What `allowFrom` takes. */
export function checkCallOptions(at: PropsCheck, options: unknown): void {
  const o = at.object<any>('options', options, '{ port: 8080, methods: ["GET"], paths: ["/api/*"] }', true);
  at.knownKeys('options', o, 'CallOptions');
  at.integer('options.port', o.port, 1, 65535);
  at.array('options.methods', o.methods, '["GET", "POST"]', (m, item) => at.string(item, m, '"GET"'));
  at.array('options.paths', o.paths, '["/api/*"]', (p, item) => at.string(item, p, '"/api/*"', false, true));
  at.boolean('options.idempotent', o.idempotent);
  at.duration('options.timeout', o.timeout);
  checkRetryOptions(at, 'options.retries', o.retries);
  checkFaultInjection(at, 'options.fault', o.fault);
  at.declaredTypes('options', o, 'CallOptions');
}

/** The caller given to `allowFrom`: a workload of the mesh. */
export function checkCaller(at: PropsCheck, caller: unknown): void {
  checkWorkload(at, 'caller', caller, 'pass a MeshService or ExistingWorkload of this mesh, for example db.allowFrom(web)');
}

/** A workload of the mesh (a MeshService or an ExistingWorkload), told apart by what every workload has. */
export function checkWorkload(at: PropsCheck, prop: string, value: unknown, fix: string): void {
  const ok = isConstruct(value) && typeof (value as any).name === 'string' && typeof (value as any).serviceAccountName === 'string' && typeof (value as any).deployed === 'boolean';
  if (!ok) at.fail(prop, `${value === undefined ? 'is missing' : `${isConstruct(value) ? `"${value.node.path}"` : describeValue(value)} is not a workload`}`, fix);
}
