import { parse as parseYaml } from 'yaml';
import type { IndexedWorkload, ManifestIndex } from './manifest-index';

/**
 * Every key and value a workload's containers are configured with: env (literal, or a ConfigMap or Secret key),
 * envFrom, command and args (`--key=value`, `-Dkey=value`, `--key value`), and the files of mounted ConfigMaps and
 * Secrets (JSON, YAML, `key=value` lines, or text). Each value keeps its siblings, so a host finds its port.
 */

export interface ConfigValue {
  readonly key: string;
  readonly value: string;
  /** Where it was read, with the value: `env CART_ADDR=cart:80`, `ConfigMap app file config.json: cartAddress=cart:80`. */
  readonly evidence: string;
  /** Values beside it (same env, same JSON object), by key. */
  readonly siblings: ReadonlyMap<string, string>;
  /** Read from a source more than one workload mounts (a ConfigMap shared by all): keys may be meant for another. */
  readonly shared: boolean;
  /** The key of the object holding it, in a structured file (`geo` for `{ "geo": { "mongo": ... } }`). */
  readonly parentKey?: string;
}

type FileValue = { key: string; value: string; siblings: ReadonlyMap<string, string>; parentKey?: string };

export function configValues(index: ManifestIndex, w: IndexedWorkload): ConfigValue[] {
  const out: ConfigValue[] = [];
  let mountedBy = index.memo.get('mountedBy') as Map<string, number> | undefined;
  if (!mountedBy) index.memo.set('mountedBy', mountedBy = sharedSources(index));
  for (const c of w.containers) {
    const envPairs: Array<[string, string, string]> = [];
    for (const e of c.env ?? []) {
      if (typeof e?.name !== 'string') continue;
      if (typeof e.value === 'string') envPairs.push([e.name, e.value, `env ${e.name}`]);
      const cm = e.valueFrom?.configMapKeyRef;
      const sec = e.valueFrom?.secretKeyRef;
      if (cm?.name && cm.key) {
        const v = index.configMap(w.namespace, cm.name)?.[cm.key];
        if (v !== undefined) envPairs.push([e.name, v, `env ${e.name} (ConfigMap ${cm.name} key ${cm.key})`]);
      }
      if (sec?.name && sec.key) {
        const v = index.secret(w.namespace, sec.name)?.[sec.key];
        if (v !== undefined) envPairs.push([e.name, v, `env ${e.name} (Secret ${sec.name} key ${sec.key})`]);
      }
    }
    for (const source of c.envFrom ?? []) {
      const prefix = typeof source?.prefix === 'string' ? source.prefix : '';
      const [kind, name, data] = source?.configMapRef?.name
        ? ['ConfigMap', source.configMapRef.name, index.configMap(w.namespace, source.configMapRef.name)]
        : source?.secretRef?.name ? ['Secret', source.secretRef.name, index.secret(w.namespace,
          source.secretRef.name)] : ['', '', undefined];
      for (const [k, v] of Object.entries(data ?? {})) envPairs.push([`${prefix}${k}`, v,
        `envFrom ${kind} ${name} ${prefix}${k}`]);
    }
    const env = new Map(envPairs.map(([k, v]) => [k, v]));
    for (const [key, value, where] of envPairs) {
      const expanded = expand(value, env);
      out.push({ key, value: expanded, evidence: `${where}=${expanded}`, siblings: env, shared: false });
    }
    const argPairs = commandLinePairs([...(c.command ?? []), ...(c.args
      ?? [])].filter(a => typeof a === 'string').map(a => expand(a, env)));
    const args = new Map(argPairs.map(([k, v]) => [k, v]));
    for (const [key, value, token] of argPairs) out.push({ key, value, evidence: `args ${token}`, siblings: args,
      shared: false });
    for (const mount of c.volumeMounts ?? []) {
      const volume = (w.podSpec.volumes ?? []).find((v: any) => v?.name === mount?.name);
      for (const { kind, name, data } of volumeSources(index, w, volume)) {
        const shared = (mountedBy.get(contentKey(kind, data)) ?? 0) > 1;
        for (const [file, text] of Object.entries(data)) {
          if (mount.subPath && mount.subPath !== file) continue;
          for (const v of fileValues(text)) {
            out.push({ ...v,
              evidence: `${kind} ${name} file ${file}: ${v.key ? `${v.key}=` : ''}${v.value.length > 120 ? `${v.value.slice(0, 117)}...` : v.value}`, shared });
          }
        }
      }
    }
  }
  return out;
}

/**
 * How many workloads mount each configuration, by content: a chart that renders one copy of the same file per
 * service (DeathStarBench's) shares it as much as one ConfigMap mounted everywhere.
 */
function sharedSources(index: ManifestIndex): Map<string, number> {
  const count = new Map<string, number>();
  for (const w of index.workloads) {
    const seen = new Set<string>();
    for (const volume of w.podSpec.volumes ?? []) for (const s of volumeSources(index, w,
      volume)) seen.add(contentKey(s.kind, s.data));
    for (const key of seen) count.set(key, (count.get(key) ?? 0) + 1);
  }
  return count;
}

function contentKey(kind: string, data: Record<string, string>): string {
  return `${kind}\u0000${JSON.stringify(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)))}`;
}

function volumeSources(index: ManifestIndex, w: IndexedWorkload,
  volume: any): Array<{ kind: string; name: string; data: Record<string, string> }> {
  if (!volume) return [];
  const found: Array<{ kind: string; name: string; data: Record<string, string> }> = [];
  const add = (kind: string, name: unknown) => {
    if (typeof name !== 'string') return;
    const data = kind === 'ConfigMap' ? index.configMap(w.namespace, name) : index.secret(w.namespace, name);
    if (data) found.push({ kind, name, data });
  };
  if (volume.configMap) add('ConfigMap', volume.configMap.name);
  if (volume.secret) add('Secret', volume.secret.secretName);
  for (const p of volume.projected?.sources ?? []) {
    if (p?.configMap) add('ConfigMap', p.configMap.name);
    if (p?.secret) add('Secret', p.secret.name);
  }
  return found;
}

/** `$(VAR)` as the kubelet expands it from the container's env. */
function expand(value: string, env: ReadonlyMap<string, string>): string {
  return value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name) => env.get(name) ?? all);
}

/** Key/value pairs of a command line: `--k=v`, `-Dk=v`, `k=v`, `--k v`, and each bare word (key ''). */
export function commandLinePairs(argv: string[]): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  const tokens = argv.flatMap(a => a.split(/\s+/)).filter(Boolean);
  tokens.forEach((t, i) => {
    const eq = /^(-{0,2}(?:D)?[A-Za-z_][\w.-]*)=(.*)$/.exec(t);
    if (eq) { out.push([eq[1].replace(/^-D/, '').replace(/^-+/, ''), eq[2], t]); return; }
    const prev = tokens[i - 1];
    const flag = prev !== undefined && /^-{1,2}[A-Za-z]/.test(prev) && !prev.includes('=');
    out.push([flag ? prev.replace(/^-+/, '') : '', t, flag ? `${prev} ${t}` : t]);
  });
  return out;
}

/** Key/value pairs of a configuration file, each with the pairs of its own object as siblings. */
function fileValues(text: string): FileValue[] {
  const out: FileValue[] = [];
  let data: unknown;
  try {
    data = /^\s*[{[]/.test(text) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch {
    data = undefined;
  }
  if (data !== null && typeof data === 'object') {
    walk(data, '', out);
    return out;
  }
  // `key=value` lines (properties, .env), else the text as one value.
  // `key=value` and `key = "value"` lines (properties, .env, HCL, TOML).
  const lines = text.split('\n').map(l => /^\s*([\w.-]+)\s*[=:]\s*(.*?)[,;]?\s*$/.exec(l)).filter((m): m is RegExpExecArray => m !== null)
    .map(m => [m[1], m[2].replace(/^(["'])(.*)\1$/, '$2')] as const);
  const siblings = new Map(lines);
  if (lines.length > 0) for (const [key, value] of lines) out.push({ key, value, siblings });
  else out.push({ key: '', value: text, siblings });
  return out;
}

function walk(data: unknown, prefix: string, out: FileValue[]): void {
  if (Array.isArray(data)) {
    const siblings = new Map<string, string>();
    data.forEach(item => {
      if (typeof item === 'string') out.push({ key: prefix, value: item, siblings });
      else walk(item, prefix, out);
    });
    return;
  }
  if (data === null || typeof data !== 'object') return;
  const siblings = new Map<string, string>();
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string' || typeof v === 'number') siblings.set(k,
    String(v));
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string') out.push({ key: k, value: v, siblings, parentKey: prefix || undefined });
    else walk(v, k, out);
  }
}

/**
 * A value made of `key=value;` pairs (a connection string: `Server=sqldata,1433;Database=x`, `Host=db;Port=5432`) as
 * its own pairs, each with the others as siblings; any other value as itself.
 */
export function connectionStringPairs(value: string): Array<[string, string]> | undefined {
  if (!/^[^=;]+=[^;]*(;[^=;]+=[^;]*)+;?$/.test(value.trim())) return undefined;
  const pairs = value.trim().replace(/;$/, '').split(';').map(p => {
    const at = p.indexOf('=');
    const key = p.slice(0, at).trim().replace(/\s+/g, '');
    const v = p.slice(at + 1).trim();
    // SQL Server writes `host,port`.
    return [/^(server|datasource|addr|address)$/i.test(key) ? v.replace(/^tcp:/i, '').replace(/,(\d+)$/, ':$1') : v,
      key] as const;
  });
  return pairs.map(([v, k]) => [/^datasource$/i.test(k) ? 'Server' : k, v]);
}
