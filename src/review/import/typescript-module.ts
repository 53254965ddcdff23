import type { ImportProposal, ProposedProbe, ProposedService } from './proposal';

/**
 * The proposal as a TypeScript module on soma-mesh's public API: a chart class that declares each namespace, each
 * service (image, ports and protocols, probes, resources, env, mounts), each infrastructure workload as an
 * ExistingWorkload, each call as an `allowFrom` preceded by its evidence, and each external host. Running it through
 * synth renders the mesh; the matrix of that render lists exactly the proposed calls.
 */

export interface TypescriptModuleOptions {
  /** What the proposal was read from, for the header. */
  readonly source: string;
  /**
   * The tag given to images the input leaves unpinned (no tag, or `latest`), which the library refuses.
   * @default - kept as they are, with a comment: synth then names each one to pin
   */
  readonly imageTag?: string;
}

const FIELD_PATHS: Record<string, string> = {
  'metadata.name': 'POD_NAME', 'metadata.namespace': 'POD_NAMESPACE', 'metadata.uid': 'POD_UID',
    'status.podIP': 'POD_IP',
  'spec.serviceAccountName': 'SERVICE_ACCOUNT_NAME', 'spec.nodeName': 'NODE_NAME', 'status.hostIP': 'NODE_IP',
    'status.podIPs': 'POD_IPS',
};

const RESERVED = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete',
  'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new',
    'null', 'return',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'let', 'static',
    'yield', 'await',
  'mesh', 'app', 'scope', 'id', 'module', 'require', 'exports', 'undefined', 'arguments', 'eval', 'package',
    'interface',
  'private', 'protected', 'public', 'implements']);

export function typescriptModule(proposal: ImportProposal,
  options: TypescriptModuleOptions): { text: string; unpinned: string[] } {
  const lines: string[] = [];
  const used = new Set<string>();
  const imports = { cdk8s: new Set(['App', 'Chart']), plus: new Set<string>(), mesh: new Set(['IstioRenderer',
    'Mesh']) };
  const unpinned: string[] = [];
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, '\\\'').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
  const comment = (s: string) => s.replace(/\*\//g, '* /').replace(/[\r\n]+/g, ' ');
  const variable = (name: string, suffix = ''): string => {
    let base = name.replace(/[^A-Za-z0-9]+(.)?/g, (_m,
      c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[^A-Za-z_]+/, '') || 'workload';
    base = base[0].toLowerCase() + base.slice(1) + suffix;
    if (RESERVED.has(base)) base += 'Workload';
    let v = base;
    for (let i = 2; used.has(v); i++) v = `${base}${i}`;
    used.add(v);
    return v;
  };
  const emit = (indent: number, text: string) => lines.push(`${'  '.repeat(indent)}${text}`);

  const namespaces = [...new Set(proposal.services.map(s => s.namespace))].sort();
  const nsVar = new Map<string, string>();
  const refs = new Map<string, string>();
  const refLines: string[] = [];
  const ref = (kind: 'configMap' | 'secret' | 'pvc', namespace: string, name: string): string => {
    const key = `${kind}/${namespace}/${name}`;
    let v = refs.get(key);
    if (!v) {
      v = variable(`${name}-${kind === 'pvc' ? 'claim' : kind}`);
      refs.set(key, v);
      const cls = kind === 'configMap' ? 'ConfigMap' : kind === 'secret' ? 'Secret' : 'PersistentVolumeClaim';
      const factory = kind === 'configMap' ? 'fromConfigMapName' : kind === 'secret' ? 'fromSecretName' : 'fromClaimName';
      imports.plus.add(cls);
      refLines.push(`    const ${v} = ${cls}.${factory}(this, ${q(`${cls}-${namespace}-${name}`)}, ${q(name)});`);
    }
    return v;
  };

  const body: string[] = [];
  const out = (indent: number, text: string) => body.push(`${'  '.repeat(indent)}${text}`);
  for (const ns of namespaces) {
    const v = variable(ns, 'Namespace');
    nsVar.set(ns, v);
    const onlyExisting = proposal.services.filter(s => s.namespace === ns).every(s => s.declaration === 'ExistingWorkload');
    out(2, `const ${v} = mesh.addNamespace(${q(ns)}${onlyExisting ? ', { create: false }' : ''});`);
  }
  const sharedAccounts = new Set(proposal.services.map(s => `${s.namespace}/${s.serviceAccount}`)
    .filter((k, i, all) => all.indexOf(k) !== i));
  const svcVar = new Map<string, string>();
  for (const s of proposal.services) {
    const id = `${s.namespace}/${s.name}`;
    const v = variable(s.name);
    svcVar.set(id, v);
    body.push('');
    if (s.source) out(2, `// ${comment(`${s.object} at ${s.source}`)}`);
    const ports = s.ports.map(p => {
      imports.mesh.add('Protocol');
      return `{ port: ${p.port}, targetPort: ${p.targetPort}, protocol: Protocol.${p.protocol} }`;
    });
    const portNotes = s.ports.map(p => `${p.port}: ${p.protocol} from ${p.protocolFrom}`);
    if (s.declaration === 'ExistingWorkload') {
      imports.mesh.add('ExistingWorkload');
      out(2, `// Infrastructure: ${comment(s.existingBecause ?? '')}.${portNotes.length ? ` Ports ${comment(portNotes.join('; '))}.` : ''}`);
      out(2, `const ${v} = new ExistingWorkload(${nsVar.get(s.namespace)}, ${q(s.name)}, {`);
      out(3, `selector: { ${Object.entries(s.selector).map(([k, val]) => `${q(k)}: ${q(val)}`).join(', ')} },`);
      out(3, `serviceAccountName: ${q(s.serviceAccount)},`);
      if (ports.length > 0) out(3, `ports: [${ports.join(', ')}],`);
      out(2, '});');
      continue;
    }
    imports.mesh.add('MeshService');
    out(2, `const ${v} = new MeshService(${nsVar.get(s.namespace)}, ${q(s.name)}, {`);
    let image = s.image;
    if (!pinned(image)) {
      unpinned.push(image);
      if (options.imageTag) {
        image = `${image.replace(/:latest$/, '')}:${options.imageTag}`;
        out(3, `// ${comment(`the input runs ${s.image}, unpinned: tagged ${options.imageTag} by --image-tag`)}`);
      } else {
        out(3, '// Unpinned in the input: pin the version that runs (synth refuses an unpinned image).');
      }
    }
    out(3, `image: ${q(image)},`);
    if (ports.length > 0) {
      out(3, `// ${comment(`ports ${portNotes.join('; ')}`)}`);
      out(3, `ports: [${ports.join(', ')}],`);
    }
    out(3, `replicas: ${s.replicas ?? 1},`);
    if (s.serviceAccount !== 'default' && s.serviceAccount !== s.name) {
      if (sharedAccounts.has(`${s.namespace}/${s.serviceAccount}`)) out(3,
        `// ${comment(`the input runs it as ${s.serviceAccount}, shared with other workloads: it gets its own identity`)}`);
      else out(3, `serviceAccountName: ${q(s.serviceAccount)},`);
    }
    if (s.liveness) out(3, `liveness: ${healthCheck(s.liveness, imports, q)},`);
    else if (s.ports.length === 0) {
      imports.mesh.add('HealthCheck');
      out(3, '// The input gives no liveness probe and no port, and the library needs a check: replace it with a real one.');
      out(3, 'liveness: HealthCheck.command([\'/bin/true\']),');
    }
    if (s.readiness) out(3, `readiness: ${healthCheck(s.readiness, imports, q)},`);
    const res = resources(s, imports);
    if (res) out(3, `resources: ${res},`);
    const env: string[] = [];
    for (const e of s.env) {
      if (e.value !== undefined) env.push(`${q(e.name)}: ${q(e.value)}`);
      else if (e.from?.kind === 'configMap') { imports.plus.add('EnvValue'); env.push(`${q(e.name)}: EnvValue.fromConfigMap(${ref('configMap', s.namespace, e.from.name)}, ${q(e.from.key)})`); }
      else if (e.from?.kind === 'secret') { imports.plus.add('EnvValue'); env.push(`${q(e.name)}: EnvValue.fromSecretValue({ secret: ${ref('secret', s.namespace, e.from.name)}, key: ${q(e.from.key)} })`); }
      else if (e.from?.kind === 'field' && FIELD_PATHS[e.from.key]) {
        imports.plus.add('EnvValue');
        imports.plus.add('EnvFieldPaths');
        env.push(`${q(e.name)}: EnvValue.fromFieldRef(EnvFieldPaths.${FIELD_PATHS[e.from.key]})`);
      }
    }
    if (env.length > 0) {
      out(3, 'env: {');
      for (const e of env) out(4, `${e},`);
      out(3, '},');
    }
    if (s.envFrom.length > 0) {
      imports.plus.add('Env');
      const list = s.envFrom.map(e => (e.kind === 'configMap'
        ? `Env.fromConfigMap(${ref('configMap', s.namespace, e.name)}${e.prefix ? `, ${q(e.prefix)}` : ''})`
        : `Env.fromSecret(${ref('secret', s.namespace, e.name)})`));
      out(3, `envFrom: [${list.join(', ')}],`);
    }
    if (s.command) out(3, `command: [${s.command.map(q).join(', ')}],`);
    if (s.args) out(3, `args: [${s.args.map(q).join(', ')}],`);
    const mounts: string[] = [];
    for (const m of s.mounts) {
      const vid = q(`Volume-${s.namespace}-${s.name}-${m.volume}`);
      const named = `{ name: ${q(m.volume)} }`;
      let volume: string | undefined;
      if (m.kind === 'configMap'
        && m.source) volume = `Volume.fromConfigMap(this, ${vid}, ${ref('configMap', s.namespace, m.source)}, ${named})`;
      else if (m.kind === 'secret'
        && m.source) volume = `Volume.fromSecret(this, ${vid}, ${ref('secret', s.namespace, m.source)}, ${named})`;
      else if (m.kind === 'emptyDir') volume = `Volume.fromEmptyDir(this, ${vid}, ${q(m.volume)})`;
      else if (m.kind === 'persistentVolumeClaim'
        && m.source) volume = `Volume.fromPersistentVolumeClaim(this, ${vid}, ${ref('pvc', s.namespace, m.source)}, ${named})`;
      if (!volume) { out(3,
        `// ${comment(`volume ${m.volume} at ${m.path}: a kind the import does not carry over; add it by hand`)}`); continue; }
      imports.plus.add('Volume');
      const extra = `${m.readOnly ? ', readOnly: true' : ''}${m.subPath ? `, subPath: ${q(m.subPath)}` : ''}`;
      mounts.push(`{ path: ${q(m.path)}, volume: ${volume}${extra} }`);
    }
    if (mounts.length > 0) {
      out(3, 'volumeMounts: [');
      for (const m of mounts) out(4, `${m},`);
      out(3, '],');
    }
    out(2, '});');
  }

  if (proposal.calls.length > 0) { body.push(''); out(2, '// Calls, each with the evidence the input gives for it.'); }
  const serviceOf = new Map(proposal.services.map(s => [`${s.namespace}/${s.name}`, s]));
  for (const c of proposal.calls) {
    const callee = serviceOf.get(c.to)!;
    const declared = callee.ports.find(p => p.targetPort === c.targetPort)!;
    for (const e of c.evidence) out(2, `// ${comment(e)}`);
    for (const n of proposal.notes.filter(x => x.startsWith(`${c.from} `))) out(2, `// Note: ${comment(n)}`);
    out(2, `${svcVar.get(c.to)}.allowFrom(${svcVar.get(c.from)}, { port: ${declared.port} });`);
  }
  const hosts = new Map<string, { host: string; port: number; callers: Array<{ from: string; evidence: string[] }> }>();
  for (const e of proposal.external) {
    const key = `${e.host}:${e.port}`;
    const h = hosts.get(key) ?? { host: e.host, port: e.port, callers: [] };
    h.callers.push({ from: e.from, evidence: e.evidence });
    hosts.set(key, h);
  }
  if (hosts.size > 0) { body.push(''); out(2, '// Hosts outside the cluster.'); imports.mesh.add('ExternalHost'); }
  for (const h of hosts.values()) {
    const v = variable(`${h.host}-${h.port}`, 'Host');
    out(2, `const ${v} = new ExternalHost(mesh, ${q(`External-${h.host}-${h.port}`)}, { host: ${q(h.host)}, port: ${h.port} });`);
    for (const c of h.callers) {
      for (const e of c.evidence) out(2, `// ${comment(e)}`);
      if (serviceOf.get(c.from)?.declaration === 'ExistingWorkload') out(2,
        `// ${comment(`${c.from} is deployed by another chart: declare this host in that chart`)}`);
      else out(2, `${v}.allowFrom(${svcVar.get(c.from)});`);
    }
  }

  emit(0, `// Proposed by \`soma-mesh import ${comment(options.source)}\`: ${proposal.services.length} workloads, ${proposal.calls.length} calls,`);
  emit(0, `// ${proposal.external.length} external calls, ${proposal.unresolved.length} unresolved values (see the JSON output). Review each`);
  emit(0, '// call and its evidence before switching the namespaces to deny by default.');
  emit(0, `import { ${[...imports.cdk8s].sort().join(', ')} } from 'cdk8s';`);
  if (imports.plus.size > 0) emit(0, `import { ${[...imports.plus].sort().join(', ')} } from 'cdk8s-plus-28';`);
  emit(0, 'import { Construct } from \'constructs\';');
  emit(0, `import { ${[...imports.mesh].sort().join(', ')} } from 'soma-mesh';`);
  emit(0, '');
  emit(0, '/** The mesh the import proposes. */');
  emit(0, 'export class ImportedMesh extends Chart {');
  emit(1, 'public readonly mesh: Mesh;');
  emit(0, '');
  emit(1, 'public constructor(scope: Construct, id: string) {');
  emit(2, 'super(scope, id, { disableResourceNameHashes: true });');
  emit(2, 'const mesh = new Mesh(this, \'Mesh\', { renderer: new IstioRenderer() });');
  emit(2, 'this.mesh = mesh;');
  lines.push(...refLines);
  lines.push(...body);
  emit(1, '}');
  emit(0, '}');
  emit(0, '');
  emit(0, 'if (require.main === module) {');
  emit(1, 'const app = new App();');
  emit(1, 'new ImportedMesh(app, \'imported\');');
  emit(1, 'app.synth();');
  emit(0, '}');
  return { text: lines.join('\n') + '\n', unpinned };
}

/** Whether an image names a version: a digest, or a tag other than `latest`. */
function pinned(image: string): boolean {
  if (image.includes('@')) return true;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag !== undefined && tag !== 'latest';
}

function healthCheck(p: ProposedProbe, imports: { cdk8s: Set<string>; mesh: Set<string> },
  q: (s: string) => string): string {
  imports.mesh.add('HealthCheck');
  const options: string[] = [];
  if (p.port !== undefined && p.kind !== 'command') options.push(`port: ${p.port}`);
  const seconds = (field: string, value: number | undefined, min: number) => {
    if (value === undefined || value < min) return;
    imports.cdk8s.add('Duration');
    options.push(`${field}: Duration.seconds(${value})`);
  };
  seconds('initialDelay', p.initialDelaySeconds, 0);
  seconds('period', p.periodSeconds, 1);
  seconds('timeout', p.timeoutSeconds, 1);
  if (p.failureThreshold !== undefined && p.failureThreshold >= 1
    && p.failureThreshold <= 100) options.push(`failureThreshold: ${p.failureThreshold}`);
  const opts = options.length > 0 ? `{ ${options.join(', ')} }` : '';
  if (p.kind === 'http') {
    const path = p.path && p.path.startsWith('/') ? p.path : `/${p.path ?? ''}`;
    return `HealthCheck.http(${q(path)}${opts ? `, ${opts}` : ''})`;
  }
  if (p.kind === 'command') return `HealthCheck.command([${(p.command ?? []).map(q).join(', ')}]${opts ? `, ${opts}` : ''})`;
  // A gRPC probe is checked as a TCP connection: HealthCheck has no gRPC check.
  return `HealthCheck.tcp(${opts})`;
}

function resources(s: ProposedService, imports: { cdk8s: Set<string>; plus: Set<string> }): string | undefined {
  const r = s.resources;
  if (!r) return undefined;
  const part = (kind: 'cpu' | 'memory') => {
    const fields: string[] = [];
    for (const [field, value] of [['request', r.requests?.[kind]], ['limit', r.limits?.[kind]]] as const) {
      const expr = value === undefined ? undefined : kind === 'cpu' ? cpu(value) : memory(value);
      if (!expr) continue;
      (kind === 'cpu' ? imports.plus : imports.cdk8s).add(kind === 'cpu' ? 'Cpu' : 'Size');
      fields.push(`${field}: ${expr}`);
    }
    return fields.length > 0 ? `${kind}: { ${fields.join(', ')} }` : undefined;
  };
  const parts = [part('cpu'), part('memory')].filter(Boolean);
  return parts.length > 0 ? `{ ${parts.join(', ')} }` : undefined;
}

function cpu(value: string): string | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(value.trim());
  if (!m) return undefined;
  const millis = m[2] ? Number(m[1]) : Number(m[1]) * 1000;
  return Number.isInteger(millis) && millis > 0 ? `Cpu.millis(${millis})` : undefined;
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2,
  Gi: 1024 ** 3, Ti: 1024 ** 4 };

function memory(value: string): string | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKMGT]i?)?$/.exec(value.trim());
  if (!m || UNITS[m[2] ?? ''] === undefined) return undefined;
  const bytes = Number(m[1]) * UNITS[m[2] ?? ''];
  if (!(bytes > 0)) return undefined;
  if (bytes % 1024 ** 3 === 0) return `Size.gibibytes(${bytes / 1024 ** 3})`;
  if (bytes % 1024 ** 2 === 0) return `Size.mebibytes(${bytes / 1024 ** 2})`;
  // Kubernetes takes bytes; the library's quantities are whole KiB, so a decimal size is rounded up to one.
  return `Size.kibibytes(${Math.ceil(bytes / 1024)})`;
}
