import type { IValidation } from 'constructs';
import type { Call } from './call';
import type { ExternalCall, UnlistedEgress } from './external-host';
import type { Mesh } from './mesh';
import type { MeshNamespace } from './mesh-namespace';
import type { IWarningSink } from './mesh-renderer';
import type { MeshService } from './mesh-service';
import type { MeshTelemetry } from './mesh-telemetry';
import type { PublicIngress } from './public-ingress';
import type { IMeshWorkload } from './workload';

/** The parts of a finished model, each list in its canonical order (see MeshModel). */
export interface MeshModelProps {
  /** The mesh. */
  readonly mesh: Mesh;
  /** Every namespace. */
  readonly namespaces: MeshNamespace[];
  /** Every workload. */
  readonly workloads: IMeshWorkload[];
  /** The deployed services. */
  readonly services: MeshService[];
  /** Every call between workloads. */
  readonly calls: Call[];
  /** Every call to a host outside the mesh. */
  readonly externalCalls: ExternalCall[];
  /** Every grant of unlisted egress. */
  readonly unlistedEgress: UnlistedEgress[];
  /** Every public entry point. */
  readonly ingresses: PublicIngress[];
  /**
   * The mesh's telemetry.
   * @default - none declared
   */
  readonly telemetry?: MeshTelemetry;
  /** Whether STRICT mTLS is required mesh-wide. */
  readonly strictMtlsMeshWide: boolean;
  /** Where warnings go. */
  readonly warnings: IWarningSink;
}

/**
 * Everything a mesh declares, finished: what a renderer renders, once, at synth. Each list is in a canonical order
 * (namespaces and workloads by name, calls by callee and caller), never in the order of declaration, so that the same
 * declarations render the same objects whatever order they were written in. Nothing can be declared any more.
 */
export class MeshModel {
  /** The mesh, for its settings (trust domain, cluster domain) and as the scope of mesh-wide objects. */
  public readonly mesh: Mesh;
  /** Every namespace, by name. */
  public readonly namespaces: MeshNamespace[];
  /** Every workload (deployed, adopted, existing), by namespace and name. */
  public readonly workloads: IMeshWorkload[];
  /** The services this library deploys, by namespace and name: their versions, traffic and delivery. */
  public readonly services: MeshService[];
  /** Every call between workloads, by callee, caller, port, methods and paths. */
  public readonly calls: Call[];
  /** Every call to a host outside the mesh, by caller and host. */
  public readonly externalCalls: ExternalCall[];
  /** Every grant of unlisted egress, by caller. */
  public readonly unlistedEgress: UnlistedEgress[];
  /** Every public entry point, by path. */
  public readonly ingresses: PublicIngress[];
  /** The mesh's telemetry, when declared. */
  public readonly telemetry?: MeshTelemetry;
  /** Whether `mesh.enforceStrictMtlsMeshWide()` was called. */
  public readonly strictMtlsMeshWide: boolean;
  /** Where the renderer reports what it does not render: the mesh's sink. */
  public readonly warnings: IWarningSink;
  private readonly checks: IValidation[] = [];

  /** Made by the Mesh's render step (a renderer's test may make one). */
  public constructor(parts: MeshModelProps) {
    this.mesh = parts.mesh;
    this.namespaces = parts.namespaces;
    this.workloads = parts.workloads;
    this.services = parts.services;
    this.calls = parts.calls;
    this.externalCalls = parts.externalCalls;
    this.unlistedEgress = parts.unlistedEgress;
    this.ingresses = parts.ingresses;
    this.telemetry = parts.telemetry;
    this.strictMtlsMeshWide = parts.strictMtlsMeshWide;
    this.warnings = parts.warnings;
  }

  /**
   * A check of what the renderer rendered (an analyzer over the chart), run by the render step once rendering is done;
   * its errors fail synth as the Mesh's.
   */
  public addValidation(check: IValidation): void {
    this.checks.push(check);
  }

  /** @internal the checks the renderer added */
  public get _checks(): readonly IValidation[] {
    return this.checks;
  }
}
