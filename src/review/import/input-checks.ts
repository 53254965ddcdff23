import type { KubeObject } from '../inventory';
import { checkList as list, ObjectProblem, stringMap } from '../object-validation';
import { WORKLOAD_KINDS } from './manifest-index';

/**
 * The fields the import reads beyond those the review validates (env, envFrom, command, args, mounts, volumes,
 * probes, ConfigMap and Secret data, NetworkPolicy rules), checked for the types the API server requires, so that a
 * wrong one is reported as `FILE:LINE: Kind ns/name: field: what is wrong` and never read as something else.
 */
export function importProblems(objects: readonly KubeObject[]): ObjectProblem[] {
  const problems: ObjectProblem[] = [];
  for (const o of objects) {
    const report = (path: Array<string | number>, message: string) => problems.push({ object: o, path, message });
    if (WORKLOAD_KINDS.includes(String(o.kind))) checkPodSpec(o.spec?.template?.spec, ['spec', 'template', 'spec'],
      report);
    if (o.kind === 'ConfigMap') stringMap(o.data, ['data'], report);
    if (o.kind === 'Secret') {
      stringMap(o.data, ['data'], report);
      stringMap(o.stringData, ['stringData'], report);
      for (const [k, v] of Object.entries(isMap(o.data) ? o.data : {})) {
        if (typeof v === 'string' && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(v)) report(['data', k],
          'must be base64 (use stringData for plain text)');
      }
    }
    if (o.kind === 'NetworkPolicy' && isMap(o.spec)) {
      if (list(o.spec.ingress, ['spec', 'ingress'], report)) {
        (o.spec.ingress as any[]).forEach((rule, i) => {
          const at = ['spec', 'ingress', i];
          if (!isMap(rule)) { report(at, 'must be a map with from and ports'); return; }
          list(rule.from, [...at, 'from'], report);
          if (list(rule.ports, [...at, 'ports'], report)) {
            (rule.ports as any[]).forEach((p, j) => {
              if (p?.port !== undefined && typeof p.port !== 'number' && typeof p.port !== 'string') report([...at,
                'ports', j, 'port'], `must be a port number or name, not ${JSON.stringify(p.port)}`);
            });
          }
        });
      }
    }
  }
  return problems;
}

type Report = (path: Array<string | number>, message: string) => void;

function isMap(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}


function strings(v: unknown, path: Array<string | number>, report: Report): void {
  if (!list(v, path, report)) return;
  (v as unknown[]).forEach((s, i) => { if (typeof s !== 'string') report([...path, i],
    `must be a string, not ${JSON.stringify(s)} (quote it)`); });
}

function checkPodSpec(spec: any, path: Array<string | number>, report: Report): void {
  if (!isMap(spec)) return;
  if (list(spec.volumes, [...path, 'volumes'], report)) {
    (spec.volumes as any[]).forEach((v, i) => {
      if (!isMap(v) || typeof v.name !== 'string') report([...path, 'volumes', i], 'must be a map with a name');
      else if (v.configMap !== undefined && typeof v.configMap?.name !== 'string') report([...path, 'volumes', i,
        'configMap', 'name'], 'must be the ConfigMap\'s name');
      else if (v.secret !== undefined && typeof v.secret?.secretName !== 'string') report([...path, 'volumes', i,
        'secret', 'secretName'], 'must be the Secret\'s name');
    });
  }
  for (const group of ['containers', 'initContainers']) {
    if (!Array.isArray(spec[group])) continue;
    (spec[group] as any[]).forEach((c, i) => {
      const at = [...path, group, i];
      if (!isMap(c)) return;
      if (c.image !== undefined && typeof c.image !== 'string') report([...at, 'image'],
        `must be a string, not ${JSON.stringify(c.image)}`);
      strings(c.command, [...at, 'command'], report);
      strings(c.args, [...at, 'args'], report);
      if (list(c.env, [...at, 'env'], report)) {
        (c.env as any[]).forEach((e, j) => {
          const ep = [...at, 'env', j];
          if (!isMap(e) || typeof e.name !== 'string' || e.name === '') { report(ep,
            'must be a map with a name'); return; }
          if (e.value !== undefined && typeof e.value !== 'string') report([...ep, 'value'],
            `must be a string, not ${JSON.stringify(e.value)} (quote it)`);
          for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
            const r = e.valueFrom?.[ref];
            if (r !== undefined && (typeof r?.name !== 'string' || typeof r?.key !== 'string')) report([...ep,
              'valueFrom', ref], 'needs a string name and key');
          }
        });
      }
      if (list(c.envFrom, [...at, 'envFrom'], report)) {
        (c.envFrom as any[]).forEach((e, j) => {
          if (!isMap(e)) report([...at, 'envFrom', j], 'must be a map with configMapRef or secretRef');
          else if (e.prefix !== undefined && typeof e.prefix !== 'string') report([...at, 'envFrom', j, 'prefix'],
            `must be a string, not ${JSON.stringify(e.prefix)}`);
        });
      }
      if (list(c.volumeMounts, [...at, 'volumeMounts'], report)) {
        (c.volumeMounts as any[]).forEach((m, j) => {
          if (!isMap(m) || typeof m.name !== 'string' || typeof m.mountPath !== 'string') report([...at,
            'volumeMounts', j], 'needs a string name and mountPath');
        });
      }
      for (const probe of ['livenessProbe', 'readinessProbe']) {
        const p = c[probe];
        if (p === undefined) continue;
        if (!isMap(p)) { report([...at, probe], 'must be a map'); continue; }
        for (const handler of ['httpGet', 'tcpSocket', 'grpc']) {
          const port = p[handler]?.port;
          if (p[handler] !== undefined && typeof port !== 'number' && typeof port !== 'string') report([...at, probe,
            handler, 'port'], `must be a port number or name, not ${JSON.stringify(port)}`);
        }
        for (const n of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold']) {
          if (p[n] !== undefined && (!Number.isInteger(p[n]) || p[n] < 0)) report([...at, probe, n],
            `must be a whole number of ${n.endsWith('Seconds') ? 'seconds' : 'checks'}, not ${JSON.stringify(p[n])}`);
        }
      }
    });
  }
}
