import { renderForValidation } from '../rendered-json';
import { ApiObject, Chart } from 'cdk8s';
import { IConstruct, IValidation } from 'constructs';
import { analyze } from '../../review/analyze';
import { CODE_LIST, Severity } from '../../review/codes';
import { Finding } from '../../review/finding';
import { KubeObject, PeerWorkload } from '../../review/inventory';
import { IstioMeshConfig } from '../../review/istio/mesh-config';

const ACKNOWLEDGE_KEY = 'soma-mesh:analyzer-acknowledge';

/** The analyzer at synth time: its findings on a chart's objects, and acknowledged warnings. */
export class Analyzer {
  /**
   * Accepts a warning on a construct and everything under it, with the reason it is intended.
   * Errors cannot be acknowledged: they break traffic or security.
   */
  public static acknowledge(construct: IConstruct, code: string, reason: string): void {
    const known = CODE_LIST.find(c => c.code === code);
    if (!known) throw new Error(`[${construct.node.path}] there is no analyzer code ${code}: use one of ${CODE_LIST.map(c => c.code).join(', ')}`);
    if (known.severity === Severity.ERROR) {
      throw new Error(`[${construct.node.path}] ${code} is an error and cannot be acknowledged: fix it (${known.fix})`);
    }
    if (!reason || reason.trim().length === 0) {
      throw new Error(`[${construct.node.path}] acknowledging ${code} needs a reason: say why the warning is intended`);
    }
    construct.node.addMetadata(ACKNOWLEDGE_KEY, { code, reason });
  }

  /** The reason a code is acknowledged on a construct or one of its scopes, if it is. */
  public static acknowledgement(construct: IConstruct, code: string): string | undefined {
    for (const scope of construct.node.scopes.slice().reverse()) {
      const entry = scope.node.metadata.find(m => m.type === ACKNOWLEDGE_KEY && (m.data as any).code === code);
      if (entry) return (entry.data as any).reason;
    }
    return undefined;
  }

  /**
   * Analyzes every ApiObject of a chart under the renderer's mesh settings (root namespace, trust domain, cluster
   * domain); findings carry the construct path of their object.
   */
  public static analyzeChart(chart: Chart, peers: PeerWorkload[] = [],
    meshConfig: IstioMeshConfig = {}): ConstructFinding[] {
    const apiObjects = chart.node.findAll().filter(ApiObject.isApiObject);
    const byJson = new Map<KubeObject, ApiObject>();
    const objects = apiObjects.map(o => {
      const json = renderForValidation(o); // resolves lazy values once for analysis and output; never chart.toJson(), which would validate again
      byJson.set(json, o);
      return json;
    });
    return analyze(objects, { ...meshConfig, peers }).map(f => {
      const apiObject = byJson.get(f.object)!;
      const acknowledged = f.severity === Severity.WARNING ? Analyzer.acknowledgement(apiObject, f.code) ?? f.acknowledged : undefined;
      return { ...f, path: apiObject.node.path, acknowledged };
    });
  }
}

/** A finding at synth time. */
export interface ConstructFinding extends Finding {
  /** The construct path of the object at fault. */
  readonly path: string;
}

/** One line per finding: `[path] CODE what is wrong: how to fix it`. */
function formatConstructFinding(f: ConstructFinding): string {
  return `[${f.path}] ${f.code} ${f.message}: ${f.fix}`;
}

/**
 * A validation that runs the analyzer over a chart at synth: errors fail synth, unacknowledged warnings print.
 * `peers` is read when synth validates, so workloads declared later are included.
 */
export class AnalyzerValidation implements IValidation {
  /** cdk8s may validate more than once per synth: each warning prints once. */
  private readonly printed = new Set<string>();

  /** cdk8s validates twice per synth (App.synth, then each chart's toJson): the second run reuses the first. */
  private last?: { key: string; findings: ConstructFinding[] };

  public constructor(
    private readonly chart: () => Chart,
    private readonly peers: () => readonly PeerWorkload[],
    private readonly warn: (line: string) => void = line => process.stderr.write(`warning: ${line}\n`),
    /** Changes whenever the declarations change (constructs or calls added): decides when to analyze again. */
    private readonly version: () => string = () => '',
    /** The renderer's mesh settings, read when synth validates. */
    private readonly meshConfig: () => IstioMeshConfig = () => ({}),
  ) {}

  public validate(): string[] {
    const chart = this.chart();
    const key = `${chart.node.findAll().length}|${this.version()}`;
    if (this.last?.key !== key) {
      this.last = { key, findings: Analyzer.analyzeChart(chart, [...this.peers()], this.meshConfig()) };
    }
    const findings = this.last.findings;
    for (const f of findings) {
      const line = formatConstructFinding(f);
      if (f.severity === Severity.WARNING && f.acknowledged === undefined && !this.printed.has(line)) {
        this.printed.add(line);
        this.warn(line);
      }
    }
    return findings.filter(f => f.severity === Severity.ERROR).map(formatConstructFinding);
  }
}
