import { ACKNOWLEDGE_ANNOTATION, analyze, AnalyzeOptions } from './analyze';
import { AnalyzerCode, CODE_LIST, CODES } from './codes';
import { DiagramEdge, edgesOfMatrix, toDot, toMermaid } from './diagram';
import { AccessDiff, diffMatrices, diffObjects } from './diff';
import { Finding } from './finding';
import { LinkerdMatrixOptions, linkerdAccessMatrix } from './linkerd/access';
import {
  AccessDecision, AccessMatrix, AccessMatrixOptions, AccessRequest, accessMatrix, allows, decide,
} from './matrix';
import { detectMesh } from './mesh-detection';
import { ObjectProblem, validateObjects } from './object-validation';

/** The meshes whose rendered YAML the review tools read. */
export enum DetectedMesh {
  /** Istio with sidecars. */
  ISTIO = 'istio',
  /** Istio in ambient mode (ztunnel and waypoints). */
  ISTIO_AMBIENT = 'istio-ambient',
  /** Linkerd 2. */
  LINKERD = 'linkerd',
}

/**
 * Review of rendered Kubernetes objects: plain JSON in (what `cdk8s synth` writes, parsed), findings, access
 * matrices, diffs and pictures out. Objects cross as `any`: their shape is open.
 */
export class Review {
  /** Runs every analyzer check over the objects and returns what they found, errors first. */
  public static analyze(objects: any[], options: AnalyzeOptions = {}): Finding[] {
    return analyze(objects, options);
  }

  /** Who can call whom under Istio (sidecar or ambient), as its proxies decide it. */
  public static accessMatrix(objects: any[], options: AccessMatrixOptions = {}): AccessMatrix {
    return accessMatrix(objects, options);
  }

  /** Who can call whom under Linkerd, as its policy controller and proxies decide it. */
  public static linkerdAccessMatrix(objects: any[], options: LinkerdMatrixOptions = {}): AccessMatrix {
    return linkerdAccessMatrix(objects, options);
  }

  /** Whether a matrix admits a request, and which policy decides it. */
  public static decide(matrix: AccessMatrix, request: AccessRequest): AccessDecision {
    return decide(matrix, request);
  }

  /** Whether a matrix admits a request. */
  public static allows(matrix: AccessMatrix, request: AccessRequest): boolean {
    return allows(matrix, request);
  }

  /** The mesh the objects were rendered for; throws when they mix meshes or name none. */
  public static detectMesh(objects: any[]): DetectedMesh {
    return detectMesh(objects) as DetectedMesh;
  }

  /** Each object checked against its kind's schema (Kubernetes, Istio, Linkerd, Gateway API, Argo Rollouts). */
  public static validateObjects(objects: any[]): ObjectProblem[] {
    return validateObjects(objects);
  }

  /** The access changes between two sets of objects (same peers and mesh settings for both). */
  public static diffObjects(before: any[], after: any[], options: AccessMatrixOptions = {}): AccessDiff {
    return diffObjects(before, after, options);
  }

  /** The access changes between two matrices. */
  public static diffMatrices(before: AccessMatrix, after: AccessMatrix): AccessDiff {
    return diffMatrices(before, after);
  }

  /** The allowed calls of a matrix as diagram edges, plus the external hosts the objects let workloads reach. */
  public static edgesOfMatrix(matrix: AccessMatrix, objects: any[] = []): DiagramEdge[] {
    return edgesOfMatrix(matrix, objects);
  }

  /** A Mermaid flowchart of the edges. */
  public static toMermaid(edges: DiagramEdge[]): string {
    return toMermaid(edges);
  }

  /** A Graphviz DOT graph of the edges. */
  public static toDot(edges: DiagramEdge[]): string {
    return toDot(edges);
  }

  private constructor() {}
}

/** Every finding code the analyzer reports, and how a finding is acknowledged. */
export class Codes {
  /** Every code, in the order docs/analyzer.md lists them. */
  public static readonly ALL: AnalyzerCode[] = [...CODE_LIST];

  /** Every code by its constant name, for example `Codes.BY_NAME.DR_TLS_STRICT`. */
  public static readonly BY_NAME: { [name: string]: AnalyzerCode } = { ...CODES };

  /** The annotation that acknowledges a finding on an object, with a reason. */
  public static readonly ACKNOWLEDGE_ANNOTATION: string = ACKNOWLEDGE_ANNOTATION;

  /**
   * The code with this identifier (`SM1001`).
   * @returns undefined when no code has it
   */
  public static of(code: string): AnalyzerCode | undefined {
    return CODE_LIST.find(c => c.code === code);
  }

  private constructor() {}
}
