import { Size, SizeRoundingBehavior } from 'cdk8s';
import { ContainerResources, EnvFrom, EnvValue, k8s, VolumeMount } from 'cdk8s-plus-28';
import { fail } from './validation';

/*
 * cdk8s-plus values (EnvValue, EnvFrom, Volume, Cpu, Size) turned into the Kubernetes fields they stand for.
 * EnvFrom and Volume render themselves only through `_toKube()`, which every cdk8s-plus-28 release since 2.0
 * has, and which cdk8s-plus's own Container calls; the package test pins the oldest release to keep it so.
 */

/** One environment variable, from a literal or a cdk8s-plus EnvValue (Secret or ConfigMap key, pod field, resource). */
export function envVar(name: string, value: string | EnvValue): k8s.EnvVar {
  if (typeof value === 'string') return { name, value };
  return { name, value: value.value, valueFrom: value.valueFrom };
}

/** An `envFrom` entry: every key of a Secret or ConfigMap. */
export function envFromSource(source: EnvFrom): k8s.EnvFromSource {
  return (source as unknown as { _toKube(): k8s.EnvFromSource })._toKube();
}

/** A container's mount of a cdk8s-plus Volume. */
export function volumeMount(mount: VolumeMount): k8s.VolumeMount {
  return {
    name: mount.volume.name,
    mountPath: mount.path,
    readOnly: mount.readOnly,
    subPath: mount.subPath,
    subPathExpr: mount.subPathExpr,
    mountPropagation: mount.propagation,
  };
}

/** The pod's volumes behind the mounts, each once; two different volumes may not share a name. */
export function podVolumes(where: string, mounts: readonly VolumeMount[], reserved: readonly string[]): k8s.Volume[] {
  const byName = new Map<string, VolumeMount['volume']>();
  for (const { volume, path } of mounts) {
    if (!path.startsWith('/') || path.includes(':')) fail(where, `mount path "${path}" is not an absolute path without ':': write it as the container sees it, such as "/cache"`);
    if (reserved.includes(volume.name)) fail(where, `volume "${volume.name}" has the name of the /tmp volume this library adds: give it another name, or mount it at /tmp`);
    const known = byName.get(volume.name);
    if (known && known !== volume) fail(where, `two volumes are named "${volume.name}": give each volume its own name`);
    byName.set(volume.name, volume);
  }
  const paths = mounts.map(m => m.path);
  const twice = paths.find((p, i) => paths.indexOf(p) !== i);
  if (twice) fail(where, `two volumes are mounted at ${twice}: mount each path once`);
  return [...byName.values()].map(v => (v as unknown as { _toKube(): k8s.Volume })._toKube());
}

/** Requests and limits, each unset field keeping the library's default. */
export function containerResources(where: string, resources: ContainerResources = {}): k8s.ResourceRequirements {
  const quantity = (value: string) => k8s.Quantity.fromString(value);
  const cpu = (value: { amount: string } | undefined, fallback: string) => quantity(value?.amount ?? fallback);
  const memory = (value: Size | undefined, fallback: string) => quantity(value ? sizeQuantity(where, value) : fallback);
  const requests: Record<string, k8s.Quantity> = {
    cpu: cpu(resources.cpu?.request, '100m'),
    memory: memory(resources.memory?.request, '128Mi'),
  };
  const limits: Record<string, k8s.Quantity> = {
    cpu: cpu(resources.cpu?.limit, '500m'),
    memory: memory(resources.memory?.limit, '512Mi'),
  };
  const storage = resources.ephemeralStorage;
  if (storage?.request) requests['ephemeral-storage'] = quantity(sizeQuantity(where, storage.request));
  if (storage?.limit) limits['ephemeral-storage'] = quantity(sizeQuantity(where, storage.limit));
  return { requests, limits };
}

/** A Size as a Kubernetes quantity, in the largest binary unit that holds it exactly. */
function sizeQuantity(where: string, size: Size): string {
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(kib) || kib <= 0) fail(where, `size of ${kib} KiB is not a whole, positive number of KiB: use Size.mebibytes(...) or Size.kibibytes(...)`);
  if (kib % (1024 * 1024) === 0) return `${kib / (1024 * 1024)}Gi`;
  if (kib % 1024 === 0) return `${kib / 1024}Mi`;
  return `${kib}Ki`;
}
