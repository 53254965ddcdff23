/** Checks shared by the constructs. Each returns an error message, or undefined when the value is fine. */

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name usable as a Service name and a DNS label (RFC 1123, at most 63 characters). */
export function checkDnsLabel(what: string, value: string): string | undefined {
  if (value.length > 63 || !DNS_1123_LABEL.test(value)) {
    return `${what} "${value}" is not a DNS-1123 label: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** An image reference with an explicit, immutable-looking tag or a digest. */
export function checkImage(value: string): string | undefined {
  if (/@sha256:[a-f0-9]{64}$/.test(value)) return undefined;
  const lastSlash = value.lastIndexOf('/');
  const colon = value.indexOf(':', lastSlash + 1);
  if (colon < 0) {
    return `image "${value}" has no tag: pin a version, for example "${value}:1.4.2" or a digest "@sha256:..."`;
  }
  const tag = value.slice(colon + 1);
  if (tag === 'latest') {
    return `image "${value}" uses the mutable tag "latest": pin a version, for example "${value.slice(0, colon)}:1.4.2"`;
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    return `image "${value}" has an invalid tag "${tag}": a tag is up to 128 letters, digits, '_', '.' and '-'`;
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
