/** Checks shared by the constructs. Each returns an error message, or undefined when the value is fine. */

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name usable as a Service name and a DNS label (RFC 1123, at most 63 characters). */
export function checkDnsLabel(what: string, value: string): string | undefined {
  if (value.length > 63 || !DNS_1123_LABEL.test(value)) {
    return `${what} "${value}" is not a DNS-1123 label: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/*
 * The OCI image reference grammar (distribution/reference):
 *   reference := name [":" tag] ["@" digest]        name := [domain "/"] path-component ["/" path-component]*
 *   domain    := host [":" port]; a first component is a domain when it has "." or ":" or is "localhost"
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*  with separator := "." | "_" | "__" | "-"+
 *   tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}            digest := algorithm ":" hex (32 or more)
 */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** An image reference in the OCI grammar, with an explicit, immutable-looking tag or a digest. */
export function checkImage(value: string): string | undefined {
  const at = value.indexOf('@');
  const digest = at >= 0 ? value.slice(at + 1) : undefined;
  const nameAndTag = at >= 0 ? value.slice(0, at) : value;
  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  const name = colon >= 0 ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : undefined;
  const components = name.split('/');
  const domain = components.length > 1 && (/[.:]/.test(components[0]) || components[0] === 'localhost') ? components.shift() : undefined;
  if (/[^\x21-\x7e]/.test(value)) {
    return `image "${value}" is not an image reference: it has a space or a character outside ASCII; write the registry, repository and tag in ASCII, such as "example/web:1.4.2"`;
  }
  if (domain !== undefined && !DOMAIN.test(domain)) {
    return `image "${value}" is not an image reference: "${domain}" is not a registry host; write a host name with an optional port, such as "registry.example.com:5000/web:1.4.2"`;
  }
  const bad = components.find(c => !PATH_COMPONENT.test(c));
  if (bad !== undefined || name.length === 0) {
    const lower = components.map(c => c.toLowerCase()).join('/');
    const hint = bad !== undefined && PATH_COMPONENT.test(bad.toLowerCase()) ? `repository names are lower case: write "${[domain, lower].filter(Boolean).join('/')}${tag !== undefined ? `:${tag}` : ''}${digest ? `@${digest}` : ''}"`
      : 'each part of the repository is lower-case letters and digits, separated by ".", "_", "__" or "-", such as "example/web:1.4.2"';
    return `image "${value}" is not an image reference: ${name.length === 0 ? 'the repository is empty' : bad === '' ? 'the repository has an empty part' : `"${bad}" is not a repository name part`}; ${hint}`;
  }
  if (name.length > 255) return `image "${value}" is not an image reference: its name is ${name.length} characters, over 255; use a shorter repository name`;
  if (digest !== undefined) {
    if (!DIGEST.test(digest) || (digest.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(digest))) {
      return `image "${value}" has an invalid digest "${digest}": write "@sha256:" and 64 lower-case hex digits`;
    }
    if (tag !== undefined && !TAG.test(tag)) return `image "${value}" has an invalid tag "${tag}": a tag is up to 128 letters, digits, '_', '.' and '-'`;
    return undefined;
  }
  if (tag === undefined) {
    return `image "${value}" has no tag: pin a version, for example "${value}:1.4.2" or a digest "@sha256:..."`;
  }
  if (tag === 'latest') {
    return `image "${value}" uses the mutable tag "latest": pin a version, for example "${name}:1.4.2"`;
  }
  if (!TAG.test(tag)) {
    return `image "${value}" has an invalid tag "${tag}": a tag is up to 128 letters, digits, '_', '.' and '-'`;
  }
  // A tag without a digit ("alpine", "stable", "edge") names a line its publisher moves, not a version.
  if (!/[0-9]/.test(tag)) {
    return `image "${value}" uses the tag "${tag}", which names no version (its publisher moves it): `
      + `pin a version, for example "${name}:1.4.2-${tag}", or a digest "@sha256:..."`;
  }
  return undefined;
}

/** A TCP port number. */
export function checkPort(port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return `port ${port} is not a port number: use an integer from 1 to 65535`;
  }
  return undefined;
}

/** Throws with the construct path in front, the form every error of this library takes. */
export function fail(path: string, message: string): never {
  throw new Error(`[${path}] ${message}`);
}
