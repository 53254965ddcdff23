import { deliveredVersion } from './delivery';
import type { Mesh } from './mesh';
import {
  nextStep, promote, ReleaseVersion, rollback, ServiceRelease, setCanaryWeight, setSplit, setStable, startCanary,
} from './release';
import { applyReleases, parseReleaseFile, readReleaseFile, ReleaseFile } from './release-file';
import { ReleaseFileProblem, releaseFileProblems } from './release-schema';
import { resolveSplit, TrafficRouting, WeightedVersion } from './routing';

/** How a new canary starts. */
export interface StartCanaryOptions extends ReleaseVersion {
  /**
   * The weights the canary moves through, ending at 100.
   * @default [1, 5, 10, 25, 50, 100]
   */
  readonly steps?: number[];
}

/**
 * Progressive delivery as edits of a service's release (its routing, plus versions added without code), and the
 * release file that holds them. Each step returns a new release; nothing is changed in place.
 */
export class Release {
  /** Sends `weight` percent to the canary. */
  public static setCanaryWeight(release: ServiceRelease, weight: number): ServiceRelease {
    return setCanaryWeight(release, weight);
  }

  /** Moves the canary to its next planned step. */
  public static nextStep(release: ServiceRelease): ServiceRelease {
    return nextStep(release);
  }

  /** The canary becomes the stable version, with 100%; the old stable version keeps running as a rollback target. */
  public static promote(release: ServiceRelease): ServiceRelease {
    return promote(release);
  }

  /** Instant rollback: 100% to the stable version; the canary stays declared at weight 0. */
  public static rollback(release: ServiceRelease): ServiceRelease {
    return rollback(release);
  }

  /** Starts a canary of `version` at its first step. */
  public static startCanary(release: ServiceRelease, version: string, options: StartCanaryOptions = {}): ServiceRelease {
    return startCanary(release, version, options);
  }

  /** A fixed split: percent by version, summing to 100. */
  public static setSplit(release: ServiceRelease, weights: { [version: string]: number }): ServiceRelease {
    return setSplit(release, weights);
  }

  /** Sends every request to `version`. */
  public static setStable(release: ServiceRelease, version: string): ServiceRelease {
    return setStable(release, version);
  }

  /** The weight of each version that a routing sends requests to. */
  public static resolveSplit(routing: TrafficRouting, firstVersion: string): WeightedVersion[] {
    return resolveSplit(routing, firstVersion);
  }

  /** The version a progressive-delivery controller's pod template is (canary while it has traffic, else stable). */
  public static deliveredVersion(routing: TrafficRouting, firstVersion: string): string {
    return deliveredVersion(routing, firstVersion);
  }

  /** Reads and checks a release file; every problem is reported with the file and its JSON path. */
  public static readFile(file: string): ReleaseFile {
    return readReleaseFile(file);
  }

  /** Checks parsed JSON against the release file's schema; throws every problem at once. */
  public static parseFile(data: any, source: string): ReleaseFile {
    return parseReleaseFile(data, source);
  }

  /** Every problem of parsed JSON as a release file, empty when it is one. */
  public static fileProblems(data: any): ReleaseFileProblem[] {
    return releaseFileProblems(data);
  }

  /** Runs each release's extra versions and routes each service of the mesh as its release says. */
  public static apply(mesh: Mesh, file: ReleaseFile, source: string): void {
    applyReleases(mesh, file, source);
  }

  private constructor() {}
}
