import type { Duration } from 'cdk8s';

/** A Gateway API duration (GEP-2257): whole seconds as `30s`, otherwise milliseconds. */
export function gatewayDuration(duration: Duration): string {
  const ms = Math.round(duration.toMilliseconds());
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
