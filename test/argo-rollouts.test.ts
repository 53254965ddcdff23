import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parser as promql } from '@prometheus-io/lezer-promql';
import * as fc from 'fast-check';
import { Chart, Duration, Testing } from 'cdk8s';
import { SOMA_CANARY_ANALYSIS, SomaDelivery } from '../app/delivery';
import { runRelease } from '../app/release';
import { LoadedReleases, main, synthTarget } from '../app/synth';
import { Delivery, DeliveryController, HealthCheck, IstioRenderer, LinkerdRenderer, Mesh, MeshService, MeshTarget, MeshTelemetry, Protocol, Review } from '../src';
import { adopt, ArgoController, readQuery, SimulatedTraffic } from './support/argo-controller';
import { cli } from './support/cli';
import { CrdSchemas } from './support/crd-schema';
import { K8sObject, ofKind, readManifests, REPO_ROOT, SHARED } from './support/manifests';

/**
 * Delivery by Argo Rollouts, read back from the rendered YAML only: SomaAgentHub's slm-service canary (releases.json:
 * v2 at 1%, steps 1/5/25/50/100) rendered with `--delivery argo-rollouts` after the switch the render asks for (the
 * canary rolled back, the Rollout applied on the stable version, the canary started again with the controller), and
 * renders after other release commands.
 */
const RELEASES = path.join(REPO_ROOT, 'releases.json');
const rollouts = new CrdSchemas(path.join(SHARED, 'argo-rollouts', 'crds.yaml'));
const istio = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
let work: string;
let objects: K8sObject[];
/** The switch: the release rolled back to 0%, so the new Rollout's first template is the stable version. */
let adoption: K8sObject[];

let printed: string[];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-argo-'));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    adoption = renderAfter('adoption', ROLLBACK);
    objects = renderAfter('initial', ROLLBACK, START);
    printed = [...stderr.mock.calls.map(c => String(c[0])), ...warn.mock.calls.map(c => String(c[0]))];
  } finally {
    stderr.mockRestore();
    warn.mockRestore();
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const ROLLBACK = ['slm-service', 'rollback'];
const START = ['slm-service', 'start', 'v2'];

/** Runs release commands (delivered by Argo Rollouts) on a copy of releases.json, then renders with it. */
function renderAfter(name: string, ...commands: string[][]): K8sObject[] {
  const file = path.join(work, `${name}.json`);
  const outdir = path.join(work, name);
  fs.copyFileSync(RELEASES, file);
  const targets = (releases: LoadedReleases) => [synthTarget(outdir, releases, MeshTarget.ISTIO, SomaDelivery.ARGO_ROLLOUTS)];
  for (const command of commands) runRelease(command, file, { targets, delivery: SomaDelivery.ARGO_ROLLOUTS });
  if (commands.length === 0) main(outdir, file, MeshTarget.ISTIO, SomaDelivery.ARGO_ROLLOUTS);
  return readManifests(outdir);
}

const named = (list: K8sObject[], kind: string, name: string) => list.find(o => o.kind === kind && o.metadata.name === name)!;
const stepsOf = (rollout: K8sObject) => rollout.spec.strategy.canary.steps as any[];
/** The routes a Rollout names, from the VirtualService it names. */
const routedBy = (list: K8sObject[], rollout: K8sObject) => {
  const istioRouting = rollout.spec.strategy.canary.trafficRouting.istio;
  const vs = named(list, 'VirtualService', istioRouting.virtualService.name);
  return (vs.spec.http as any[]).filter(r => istioRouting.virtualService.routes.includes(r.name));
};
/** The pod template the Rollout runs: that of the Deployment its workloadRef names. */
const templateOf = (list: K8sObject[], rollout: K8sObject) => named(list, 'Deployment', rollout.spec.workloadRef.name).spec.template;

/** The PromQL syntax errors of a query, as Prometheus' own grammar reads it. */
function promqlErrors(query: string): string[] {
  const errors: string[] = [];
  promql.parse(query).iterate({ enter: n => { if (n.type.isError) errors.push(`at ${n.from}: "${query.slice(Math.max(0, n.from - 20), n.to + 20)}"`); } });
  return errors;
}

/** Every vector selector of a query, as `metric{matchers}` text, and its matchers by label name. */
function vectorSelectors(query: string): Array<{ text: string; matchers: Map<string, string> }> {
  const found: Array<{ text: string; matchers: Map<string, string> }> = [];
  promql.parse(query).iterate({
    enter: n => {
      if (n.name !== 'VectorSelector') return;
      const matchers = new Map<string, string>();
      const node = n.node;
      for (const m of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        matchers.set(query.slice(m.getChild('LabelName')!.from, m.getChild('LabelName')!.to),
          query.slice(m.getChild('MatchOp')!.from, m.getChild('StringLiteral')!.to));
      }
      found.push({ text: query.slice(n.from, n.to), matchers });
    },
  });
  return found;
}

describe('SomaAgentHub rendered with --delivery argo-rollouts', () => {
  test('synth prints nothing: the controller\'s objects pass the analyzer without a warning', () => {
    expect(printed).toEqual([]);
  });

  test('every Rollout and AnalysisTemplate validates against Argo Rollouts v1.9.1 CRDs, unknown fields rejected', () => {
    const argo = objects.filter(o => o.apiVersion === 'argoproj.io/v1alpha1');
    expect(argo.map(o => `${o.kind} ${o.metadata.name}`).sort()).toEqual(['AnalysisTemplate slm-service-canary', 'Rollout slm-service']);
    expect(argo.flatMap(o => rollouts.errors(o))).toEqual([]);
    // The schema check can fail: a field the CRD does not define is rejected.
    const bogus = structuredClone(named(objects, 'Rollout', 'slm-service'));
    bogus.spec.strategy.canary.trafficRouting.istio.virtualService.weight = 5;
    expect(rollouts.errors(bogus).join('\n')).toMatch(/must NOT have additional properties/);
    expect(objects.filter(o => o.apiVersion.includes('istio.io')).flatMap(o => istio.errors(o))).toEqual([]);
  });

  test('the Rollout\'s steps are the release\'s steps, each held with a pause before the next', () => {
    const rollout = named(objects, 'Rollout', 'slm-service');
    const release = JSON.parse(fs.readFileSync(RELEASES, 'utf8')).services['slm-service'];
    const steps = stepsOf(rollout);
    expect(steps.filter(s => 'setWeight' in s).map(s => s.setWeight)).toEqual(release.canary.steps);
    // setWeight, pause, setWeight, pause, ..., setWeight 100
    expect(steps.map(s => Object.keys(s)[0])).toEqual(release.canary.steps.flatMap((_: number, i: number) => (i === 0 ? ['setWeight'] : ['pause', 'setWeight'])));
    // 6 minutes: the 4-minute window (20 requests at 1% of 600 a minute), a scrape and an interval.
    expect(steps.filter(s => s.pause).map(s => s.pause.duration)).toEqual(['360s', '360s', '360s', '360s']);
    // Other steps in the release file: refused, since the controller walks the delivery's (a change restarts it).
    const file = path.join(work, 'steps.json');
    const releases = JSON.parse(fs.readFileSync(RELEASES, 'utf8'));
    releases.services['slm-service'].canary = { version: 'v2', weight: 1, steps: [1, 10, 100], controller: 'argo-rollouts' };
    fs.writeFileSync(file, JSON.stringify(releases));
    expect(() => main(path.join(work, 'steps'), file, MeshTarget.ISTIO, SomaDelivery.ARGO_ROLLOUTS))
      .toThrow(/the release's canary steps \[1,10,100\] differ from the Rollout's \[1,5,25,50,100\]/);
    expect(fs.existsSync(path.join(work, 'steps'))).toBe(false);
  });

  test('the Rollout takes the canary version\'s Deployment as its template; the first version\'s count is the controller\'s to scale down, the others run no pod', () => {
    const rollout = named(objects, 'Rollout', 'slm-service');
    expect(rollout.spec.workloadRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'slm-service-v2', scaleDown: 'progressively' });
    expect(templateOf(objects, rollout).metadata.labels).toEqual({ app: 'slm-service', version: 'v2' });
    expect(rollout.spec.replicas).toBe(2); // the service's autoscaler's floor, whichever version is stable
    expect(rollout.spec).toMatchObject({ progressDeadlineSeconds: 600, progressDeadlineAbort: true });
    // The selector picks the pods of every template it may run (the controller adds its hash to tell them apart).
    for (const d of ofKind(objects, 'Deployment').filter(x => x.metadata.labels?.app === 'slm-service')) {
      expect(Object.entries(rollout.spec.selector.matchLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v)).toBe(true);
    }
    expect(named(objects, 'Deployment', 'slm-service-v1').spec.replicas).toBeUndefined();
    expect(named(objects, 'Deployment', 'slm-service-v2').spec.replicas).toBe(0);
    // Every other service keeps its own running Deployment.
    expect(ofKind(objects, 'Deployment').filter(d => d.spec.replicas === 0).map(d => d.metadata.name).sort()).toEqual(['slm-service-v2']);
  });

  test('its traffic routing names routes and subsets that exist: each named route splits stable/canary, and no split route is left out', () => {
    const rollout = named(objects, 'Rollout', 'slm-service');
    const { virtualService, destinationRule } = rollout.spec.strategy.canary.trafficRouting.istio;
    const vs = named(objects, 'VirtualService', virtualService.name);
    const dr = named(objects, 'DestinationRule', destinationRule.name);
    expect(dr.spec.host).toBe(vs.spec.hosts[0]);
    const subsets = new Map((dr.spec.subsets as any[]).map(s => [s.name, s.labels]));
    expect(subsets.has(destinationRule.stableSubsetName)).toBe(true);
    expect(subsets.has(destinationRule.canarySubsetName)).toBe(true);
    const routeNames = (vs.spec.http as any[]).map(r => r.name);
    expect(virtualService.routes.length).toBeGreaterThan(0);
    for (const name of virtualService.routes) expect(routeNames).toContain(name);
    for (const route of routedBy(objects, rollout)) {
      expect(route.route.map((d: any) => [d.destination.host, d.destination.subset])).toEqual([
        [dr.spec.host, destinationRule.stableSubsetName], [dr.spec.host, destinationRule.canarySubsetName],
      ]);
    }
    // A route the controller does not step must not send to the canary subset: it would keep a share the controller cannot see.
    for (const route of vs.spec.http as any[]) {
      if (route.route.some((d: any) => d.destination.subset === destinationRule.canarySubsetName)) expect(virtualService.routes).toContain(route.name);
    }
    // The subsets select the pods of the Rollout's template (before the controller narrows them by hash).
    const labels = templateOf(objects, rollout).metadata.labels;
    for (const [, selector] of subsets) expect(Object.entries(selector as object).every(([k, v]) => labels[k] === v)).toBe(true);
  });

  test('the analysis runs from the first step and judges the canary\'s 5xx share and p99 with the declared thresholds and a minimum request count', () => {
    const rollout = named(objects, 'Rollout', 'slm-service');
    expect(rollout.spec.strategy.canary.analysis).toEqual({ templates: [{ templateName: 'slm-service-canary' }], startingStep: 1 });
    const metrics = named(objects, 'AnalysisTemplate', 'slm-service-canary').spec.metrics as any[];
    expect(metrics.map(m => [m.name, m.successCondition, m.failureCondition])).toEqual([
      ['server-error-ratio', 'len(result) > 0 && result[0] <= 0.01', 'len(result) > 0 && result[0] > 0.01'],
      ['latency-p99-ms', 'len(result) > 0 && result[0] <= 1000', 'len(result) > 0 && result[0] > 1000'],
    ]);
    for (const m of metrics) {
      expect(m).toMatchObject({ interval: '60s', failureLimit: 0, inconclusiveLimit: 5 });
      expect(m.provider.prometheus.address).toBe('http://prometheus.observability.svc.cluster.local:9090');
      expect(m.provider.prometheus.query).toMatch(/ and on\(\) \(.*\[240s\].* \* 240 >= 20\)\) or on\(\) vector\(0\)$/);
    }
  });

  test('its queries parse as PromQL and select only the canary version\'s requests, with the dashboard\'s own selectors', () => {
    const rollout = named(objects, 'Rollout', 'slm-service');
    const canaryVersion = templateOf(objects, rollout).metadata.labels.version;
    const queries = (named(objects, 'AnalysisTemplate', 'slm-service-canary').spec.metrics as any[]).map(m => m.provider.prometheus.query as string);
    const dashboard = ofKind(objects, 'ConfigMap').find(c => c.metadata.name === 'dashboard-soma-agent-hub-slm-service')!;
    const dashboardSelectors = new Set(Object.values(dashboard.data as Record<string, string>)
      .flatMap(json => JSON.parse(json).panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)))
      .flatMap(expr => vectorSelectors(expr).map(s => s.text)));
    for (const query of queries) {
      expect(promqlErrors(query)).toEqual([]);
      const selectors = vectorSelectors(query).filter(s => s.text.startsWith('istio_'));
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors) {
        expect(s.matchers.get('destination_version')).toBe(`="${canaryVersion}"`);
        expect(s.matchers.get('reporter')).toBe('="destination"');
        // The same golden signal as the dashboard: its selector, narrowed to the canary version.
        expect(dashboardSelectors.has(s.text.replace(`,destination_version="${canaryVersion}"`, ''))).toBe(true);
      }
    }
    // The check can fail: the dashboard's own queries (every version) do not select the canary only.
    expect([...dashboardSelectors].some(s => !s.includes('destination_version'))).toBe(true);
    expect(promqlErrors('sum(rate(istio_requests_total{reporter="destination"}[60s]) and')).not.toEqual([]);
  });

  test('the VirtualService and DestinationRule pass soma-mesh\'s analyzer and the traffic checks: weights sum to 100, subsets select pods, no POST retried', () => {
    expect(Review.analyze(objects).filter(f => f.severity === 'error').map(f => f.message)).toEqual([]);
    const vs = named(objects, 'VirtualService', 'slm-service');
    const dr = named(objects, 'DestinationRule', 'slm-service');
    const templates = ofKind(objects, 'Deployment').map(d => d.spec.template.metadata.labels);
    for (const route of vs.spec.http as any[]) {
      expect(route.route.reduce((s: number, d: any) => s + d.weight, 0)).toBe(100);
      for (const d of route.route) {
        const subset = (dr.spec.subsets as any[]).find(s => s.name === d.destination.subset);
        expect(templates.some(t => Object.entries(subset.labels).every(([k, v]) => t[k] === v))).toBe(true);
      }
      const mayCarryPost = !route.match || route.match.some((m: any) => !m.method || m.method.exact === 'POST');
      if (mayCarryPost) expect(`${route.name} ${route.retries.attempts}`).toBe(`${route.name} 0`);
    }
  });

  test('the analyzer knows the controller\'s run-time edits: hashed subset labels and moved weights are not findings while a Rollout names them', () => {
    // The objects as the cluster holds them mid-canary: the controller added its hashes and set 5%.
    const live = structuredClone(objects);
    const dr = named(live, 'DestinationRule', 'slm-service');
    dr.spec.subsets[0].labels['rollouts-pod-template-hash'] = '6d4f5b9c8';
    dr.spec.subsets[1].labels['rollouts-pod-template-hash'] = '7c9d8e6f5';
    for (const route of named(live, 'VirtualService', 'slm-service').spec.http) { route.route[0].weight = 95; route.route[1].weight = 5; }
    const errors = (list: K8sObject[]) => Review.analyze(list).filter(f => f.severity === 'error').map(f => `${f.code} ${f.message}`);
    expect(errors(live)).toEqual([]);
    // Without the Rollout, nothing adds that hash to any pod: the subsets select nothing.
    const withoutRollout = live.filter(o => o.kind !== 'Rollout');
    expect(errors(withoutRollout)).toEqual([
      expect.stringMatching(/^SM1003 DestinationRule soma-agent-hub\/slm-service subset "stable"/),
      expect.stringMatching(/^SM1003 DestinationRule soma-agent-hub\/slm-service subset "canary"/),
    ]);
  });

  test('the committed dist/ stays on the release file: no Rollout, version subsets, the file\'s weights', () => {
    const committed = readManifests(path.join(REPO_ROOT, 'dist'));
    expect(ofKind(committed, 'Rollout')).toEqual([]);
    expect(ofKind(committed, 'AnalysisTemplate')).toEqual([]);
    expect(named(committed, 'DestinationRule', 'slm-service').spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2']);
    expect(ofKind(committed, 'Deployment').filter(d => d.spec.replicas === 0)).toEqual([]);
  });
});

describe('the render in a cluster, by the controller\'s rules (test/support/argo-controller.ts)', () => {
  /** The hub's declared traffic for slm-service, and Prometheus' default scrape interval. */
  const declared = SOMA_CANARY_ANALYSIS['slm-service'].minRequestsPerMinute!;
  const atDeclared = (canary: Partial<SimulatedTraffic>): SimulatedTraffic =>
    ({ requestsPerSecond: declared / 60, scrapeIntervalSeconds: 60, canaryErrorRatio: 0.001, canaryP99Ms: 300, ...canary });
  /** The alert thresholds the render carries for slm-service, read from its rules. */
  function alertThresholds(list: K8sObject[]): { errorRatio: number; p99Ms: number } {
    const text = ofKind(list, 'ConfigMap').flatMap(c => Object.values(c.data ?? {}) as string[]).join('\n');
    const threshold = (alert: string) => Number(new RegExp(`alert: ${alert}\\n\\s*expr: .* > ([0-9.]+)\\n`).exec(text)?.[1]);
    return { errorRatio: threshold('SlmServiceHighErrorRate'), p99Ms: threshold('SlmServiceHighLatencyP99') };
  }

  test('the switch with a canary in flight is refused, naming the commands that make it safe; nothing is written', () => {
    const outdir = path.join(work, 'refused');
    expect(() => main(outdir, RELEASES, MeshTarget.ISTIO, SomaDelivery.ARGO_ROLLOUTS))
      .toThrow(/canary v2 is at 1% by the release file, not started under Argo Rollouts: a Rollout created now would take v2 as its first template and promote it to 100% at once.*release slm-service rollback.*release slm-service start v2/);
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('the switch applied over dist/: the new Rollout promotes the version that was serving, never the canary, and keeps capacity and autoscaling', () => {
    const switched = adopt(readManifests(path.join(REPO_ROOT, 'dist')), adoption, 'slm-service');
    expect(switched.servingVersion).toBe('v1');
    // Initial deploy promotes the first template unjudged: it must be what already served.
    expect(switched.promotedVersion).toBe(switched.servingVersion);
    // v1 ran 2 pods (its autoscaler's floor): never fewer while the Rollout's own pods become ready.
    expect(switched.fewestPodsDuring).toBeGreaterThanOrEqual(2);
    expect(switched.minAvailable).toBe(1);
    expect(switched.fewestPodsDuring).toBeGreaterThan(switched.minAvailable!);
    expect(switched.podsAfter).toBe(2);
    // One autoscaler, of the Rollout; none is left scaling a Deployment that is now a template.
    expect(switched.autoscaled).toEqual(['Rollout/slm-service']);
    const hpa = ofKind(adoption, 'HorizontalPodAutoscaler').find(h => h.metadata.name === 'slm-service')!;
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 3 });
    // The oracle can fail: the canary's render, created from nothing, promotes v2 unjudged.
    expect(adopt(readManifests(path.join(REPO_ROOT, 'dist')), objects, 'slm-service').promotedVersion).toBe('v2');
  });

  test('at the hub\'s declared traffic a healthy canary is promoted, every held step judged on enough requests', () => {
    const outcome = new ArgoController(objects, 'slm-service').run(atDeclared({}));
    expect(`${outcome.verdict}: ${outcome.reason}`).toBe('promoted: completed all 9 canary steps');
    expect(outcome.judgedWeights).toEqual([1, 5, 25, 50]);
    expect(outcome.measurements.filter(m => m.phase !== 'Successful')).toEqual([]);
    // About 24 minutes: four steps of 6.
    expect(outcome.atSeconds).toBe(4 * 360);
  });

  test.each([
    ['5xx share of 5%', { canaryErrorRatio: 0.05 }, 'server-error-ratio'],
    ['p99 of 1.5 s, under the old 2 s threshold but above the alert', { canaryP99Ms: 1500 }, 'latency-p99-ms'],
  ])('at the hub\'s declared traffic a failing canary (%s) is aborted at its first step, never paused', (_name, canary, metric) => {
    const outcome = new ArgoController(objects, 'slm-service').run(atDeclared(canary));
    expect(outcome.verdict).toBe('aborted');
    expect(outcome.reason).toMatch(new RegExp(`^${metric}: failed \\(1\\) > failureLimit`));
    expect(outcome.weight).toBe(1);
    expect(outcome.atSeconds).toBeLessThanOrEqual(360);
  });

  test('below the declared traffic a quiet step passes through (no limit consumed) instead of pausing for a person', () => {
    const quiet = new ArgoController(objects, 'slm-service').run(atDeclared({ requestsPerSecond: declared / 60 / 10 }));
    expect(quiet.verdict).toBe('promoted');
    expect(quiet.measurements.filter(m => m.phase === 'Inconclusive')).toEqual([]);
    // Still judged where the canary's share brings enough requests.
    expect(quiet.judgedWeights).toEqual([25, 50]);
  });

  test('every measurement window holds at least 4 scrapes and, at the declared traffic, the first step\'s minimum requests', () => {
    for (const metric of named(objects, 'AnalysisTemplate', 'slm-service-canary').spec.metrics as any[]) {
      const q = readQuery(metric.provider.prometheus.query);
      expect(q.windowSeconds).toBeGreaterThanOrEqual(4 * 60);
      expect((declared / 60) * 0.01 * q.windowSeconds).toBeGreaterThanOrEqual(q.minRequests);
      expect(q.passThrough).toBe(true);
    }
    const scrape30 = Delivery.argoRollouts({ scrapeInterval: Duration.seconds(30), minRequests: 1, minRequestsPerMinute: 60_000 }).judgement()!;
    expect(scrape30.windowSeconds).toBe(120);
  });

  test('the analysis thresholds are the alerts\': a canary that passes cannot page once promoted', () => {
    const alerts = alertThresholds(objects);
    expect(alerts).toEqual({ errorRatio: 0.05, p99Ms: 1000 });
    const metrics = named(objects, 'AnalysisTemplate', 'slm-service-canary').spec.metrics as any[];
    const max = (name: string) => Number(/<= ([0-9.]+)$/.exec(metrics.find(m => m.name === name).successCondition)![1]);
    expect(max('latency-p99-ms')).toBeLessThanOrEqual(alerts.p99Ms);
    expect(max('server-error-ratio')).toBeLessThanOrEqual(alerts.errorRatio);
  });

  test('promote and rollback in the release file do not restart the canary: same template and steps, or the stable template', () => {
    const canary = new ArgoController(objects, 'slm-service');
    const stable = named(objects, 'Deployment', 'slm-service-v1').spec.template;
    const promoted = new ArgoController(renderAfter('promote', ROLLBACK, START, ['slm-service', 'promote']), 'slm-service');
    // Mid-canary at step index 3 (5%): the render after promote leaves it there; the controller walks on.
    expect(promoted.stepIndexAfterUpdate(canary, 3, stable)).toBe(3);
    expect(promoted.rollout.spec).toEqual(canary.rollout.spec);
    const rolledBack = new ArgoController(renderAfter('rolledback', ROLLBACK, START, ROLLBACK), 'slm-service');
    expect(rolledBack.stepIndexAfterUpdate(canary, 3, stable)).toBe(rolledBack.rollout.spec.strategy.canary.steps.length);
  });

  test('a canary whose pods never become ready is aborted at the progress deadline; an unreachable Prometheus aborts after 5 errors', () => {
    const controller = new ArgoController(objects, 'slm-service');
    expect(controller.run(atDeclared({ canaryReady: false }))).toMatchObject({ verdict: 'aborted', atSeconds: 600 });
    // Why docs/argo-rollouts.md has the controller meshed: its plaintext queries to a STRICT Prometheus are errors.
    expect(controller.run(atDeclared({ prometheusReachable: false }))).toMatchObject({ verdict: 'aborted', atSeconds: 240 });
  });

  test('a threshold looser than the alert is refused at synth, naming the alert', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    new MeshTelemetry(mesh, 'Telemetry');
    const api = new MeshService(mesh.addNamespace('shop'), 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }],
      delivery: Delivery.argoRollouts({ maxLatencyP99: Duration.seconds(2), maxServerErrorRatio: 0.1 }) });
    api.addVersion('v2');
    expect(() => app.synth()).toThrow(/maxServerErrorRatio 0\.1 passes a canary whose 5xx share would fire api's error alert \(above 0\.05\)[\s\S]*maxLatencyP99 2000 ms passes a canary whose p99 would fire api's latency alert \(above 1000 ms\)/);
  });
});

describe('soma-mesh check reads Rollouts by what they name (SM1501)', () => {
  const sm1501 = (list: K8sObject[]) => Review.analyze(list).filter(f => f.code === 'SM1501').map(f => f.message);

  test('the render names only what exists; each missing Deployment, route, subset or AnalysisTemplate is an error', () => {
    expect(sm1501(objects)).toEqual([]);
    const without = (kind: string, name: string) => objects.filter(o => !(o.kind === kind && o.metadata.name === name));
    expect(sm1501(without('AnalysisTemplate', 'slm-service-canary'))).toEqual([
      'Rollout soma-agent-hub/slm-service names AnalysisTemplate "slm-service-canary" for its analysis, which is not among the objects']);
    expect(sm1501(without('Deployment', 'slm-service-v2'))).toEqual([
      'Rollout soma-agent-hub/slm-service names Deployment "slm-service-v2" as its workloadRef, which is not among the objects']);
    const edited = structuredClone(objects);
    const rollout = named(edited, 'Rollout', 'slm-service');
    rollout.spec.strategy.canary.trafficRouting.istio.virtualService.routes.push('no-such-route');
    rollout.spec.strategy.canary.trafficRouting.istio.destinationRule.canarySubsetName = 'preview';
    const found = sm1501(edited);
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/names subset "preview" of DestinationRule soma-agent-hub\/slm-service, which defines stable, canary$/),
      expect.stringMatching(/names route "[a-z-]+" of VirtualService soma-agent-hub\/slm-service to step, which sends nothing to subset "preview"/),
      expect.stringMatching(/names route "no-such-route" of VirtualService soma-agent-hub\/slm-service, which has /),
    ]));
  });

  test('soma-mesh check on the Argo render: no error; on the render without its AnalysisTemplate: SM1501, exit 1', () => {
    const dir = path.join(work, 'check');
    fs.mkdirSync(dir, { recursive: true });
    const yaml = (list: K8sObject[]) => list.map(o => JSON.stringify(o)).join('\n---\n');
    fs.writeFileSync(path.join(dir, 'render.yaml'), yaml(objects));
    expect(cli('check', path.join(dir, 'render.yaml')).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'broken.yaml'), yaml(objects.filter(o => o.kind !== 'AnalysisTemplate')));
    const broken = cli('check', path.join(dir, 'broken.yaml'));
    expect(broken.code).toBe(1);
    expect(broken.out + broken.err).toMatch(/SM1501.*AnalysisTemplate "slm-service-canary"/);
  });
});

describe('release commands with the controller', () => {
  test('abort leaves 100% of traffic on the stable subset in the rendered objects: the template is the stable version\'s again', () => {
    const before = named(objects, 'Rollout', 'slm-service');
    expect(templateOf(objects, before).metadata.labels.version).toBe('v2');
    const aborted = renderAfter('abort', ROLLBACK, START, ['slm-service', 'abort']);
    const rollout = named(aborted, 'Rollout', 'slm-service');
    // The Rollout runs the stable version's template: to the controller that is its stable ReplicaSet, so it returns
    // 100% there at once, skipping steps and analysis; no canary template is left to step.
    const template = templateOf(aborted, rollout);
    const stable = named(aborted, 'Deployment', 'slm-service-v1').spec.template;
    expect(template).toEqual(stable);
    expect(template.spec.containers[0].image).toBe('somaagent/soma-slm-service:2a21923');
    // Every route the controller steps is rendered 100% stable, 0% canary.
    const { stableSubsetName, canarySubsetName } = rollout.spec.strategy.canary.trafficRouting.istio.destinationRule;
    const routes = routedBy(aborted, rollout);
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.route.map((d: any) => [d.destination.subset, d.weight])).toEqual([[stableSubsetName, 100], [canarySubsetName, 0]]);
    }
    // The canary's Deployment stays declared (0 replicas) for diagnosis; its subset selects the stable template's pods only.
    expect(named(aborted, 'Deployment', 'slm-service-v2').spec.replicas).toBe(0);
    expect(rollouts.errors(rollout)).toEqual([]);
    expect(Review.analyze(aborted).filter(f => f.severity === 'error')).toEqual([]);
  });

  test('abort, rollback and promote say which Rollout fields they rendered and the kubectl equivalent', () => {
    const file = path.join(work, 'say.json');
    fs.copyFileSync(RELEASES, file);
    const say = (...command: string[]) => runRelease(['slm-service', ...command], file, { delivery: SomaDelivery.ARGO_ROLLOUTS });
    expect(say('status')).toMatch(/delivered by: Argo Rollouts \(Rollout soma-agent-hub\/slm-service, template slm-service-v2;.* 1\/5\/25\/50\/100, holding each 360s.* 5xx share passes its error alert's threshold or its p99 passes its p99 alert's threshold, measured every 60s over 240s once the canary served 20 requests \(sized for 600 requests a minute\)/);
    expect(runRelease(['slm-service', 'status'], file)).toMatch(/delivered by: the release file/);
    expect(say('status')).toMatch(/not yet rendered with the controller: the canary v2 was not started under it.*npm run release -- slm-service rollback/);
    expect(say('abort')).toMatch(/Rendered for GitOps \(Rollout soma-agent-hub\/slm-service\): spec\.workloadRef\.name: slm-service-v1, the stable version's template.*status\.abort: true/);
    fs.copyFileSync(RELEASES, file);
    expect(say('rollback')).toMatch(/spec\.workloadRef\.name: slm-service-v1/);
    fs.copyFileSync(RELEASES, file);
    expect(say('promote')).toMatch(/spec\.workloadRef\.name: slm-service-v2 \(unchanged, and so are the steps and replicas.*promote --full.*status\.promoteFull: true/);
    fs.copyFileSync(RELEASES, file);
    say('rollback');
    expect(say('start', 'v2')).toMatch(/starts the canary at its first step.*"controller": "argo-rollouts"/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).services['slm-service'].canary).toEqual({ version: 'v2', weight: 1, steps: [1, 5, 25, 50, 100], controller: 'argo-rollouts' });
  });

  test('next, canary and split are the controller\'s: refused, and the release file is unchanged', () => {
    const file = path.join(work, 'refuse.json');
    fs.copyFileSync(RELEASES, file);
    const before = fs.readFileSync(file, 'utf8');
    for (const command of [['next'], ['canary', '25'], ['split', 'v1=50', 'v2=50']]) {
      expect(() => runRelease(['slm-service', ...command], file, { delivery: SomaDelivery.ARGO_ROLLOUTS }))
        .toThrow(/is delivered by Argo Rollouts, so ".*" is not the release file's to do: .*Nothing changed\./);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    // A service the controller does not deliver keeps every command.
    expect(runRelease(['orchestrator', 'status'], file, { delivery: SomaDelivery.ARGO_ROLLOUTS })).toMatch(/delivered by: the release file/);
  });
});

describe('the Delivery declaration', () => {
  function shop(renderer = new IstioRenderer() as IstioRenderer | LinkerdRenderer) {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
    const mesh = new Mesh(chart, 'Mesh', { renderer });
    return { app, chart, ns: mesh.addNamespace('shop') };
  }

  test('a split, A/B rules or mirroring under a controller: synth fails naming the service and the fix', () => {
    const { app, ns } = shop();
    const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }], delivery: Delivery.argoRollouts() });
    api.addVersion('v2');
    api.traffic.route({ weights: { v1: 50, v2: 50 } });
    expect(() => app.synth()).toThrow(/c\/Mesh\/shop\/api.*a weighted split over versions is declared, but Argo Rollouts moves traffic between a stable and a canary version only/);
  });

  test('thresholds out of range fail at declaration, naming the construct', () => {
    const { ns } = shop();
    expect(() => new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }], delivery: Delivery.argoRollouts({ maxServerErrorRatio: 5 }) }))
      .toThrow(/\[c\/Mesh\/shop\/api\] delivery by Argo Rollouts: maxServerErrorRatio 5 is not a share/);
    expect(() => new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }], delivery: Delivery.argoRollouts({ interval: Duration.seconds(2) }) }))
      .toThrow(/interval 2s is not a whole number of seconds from 10 up/);
    const liveness = HealthCheck.command(['true']);
    expect(() => new MeshService(ns, 'worker', { image: 'example/worker:1.0.0', liveness, delivery: Delivery.argoRollouts() }))
      .toThrow(/\[c\/Mesh\/shop\/worker\] worker serves no port, so no request could judge a canary: deliver it by the release file/);
  });

  test('a TCP port cannot be split by subset: synth fails naming the port and the fix', () => {
    const { app, ns } = shop();
    new MeshService(ns, 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432, protocol: Protocol.TCP }], delivery: Delivery.argoRollouts() });
    expect(() => app.synth()).toThrow(/db serves TCP on port 5432, which Argo Rollouts cannot split by DestinationRule subset/);
  });

  test('Linkerd reports it once, naming the service, and keeps the service delivered by the release file', () => {
    const renderer = new LinkerdRenderer();
    const { app, chart, ns } = shop(renderer);
    const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }], delivery: Delivery.argoRollouts() });
    api.addVersion('v2', { replicas: 1 });
    api.traffic.route({ canary: { version: 'v2', weight: 5 } });
    app.synth();
    expect(renderer.warnings.filter(w => /delivery by/.test(w))).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/api\] Linkerd: delivery by Argo Rollouts is not rendered: .*argoproj-labs\/gatewayAPI.*so api is delivered by the release file here/)]);
    const rendered = chart.toJson();
    expect(rendered.filter((o: K8sObject) => o.apiVersion.startsWith('argoproj.io'))).toEqual([]);
    expect(rendered.filter((o: K8sObject) => o.kind === 'Deployment').map((d: K8sObject) => d.spec.replicas)).toEqual([2, 1]);
  });
});

describe('random releases and call graphs under Argo Rollouts (SOMA_ARGO_RUNS, default 25)', () => {
  const runs = Number(process.env.SOMA_ARGO_RUNS ?? 25);
  const releaseArb = fc.record({
    steps: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 5 }).map(s => [...s.sort((a, b) => a - b), 100]),
    weight: fc.integer({ min: 0, max: 100 }),
    ports: fc.constantFrom([8080], [8080, 9090]),
    callers: fc.array(fc.record({ methods: fc.subarray(['GET', 'POST', 'PUT']), timeout: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }) }), { maxLength: 3 }),
  });

  test('steps, template, routes, subsets, queries and schemas hold for any of them', () => {
    fc.assert(fc.property(releaseArb, r => {
      const app = Testing.app();
      const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
      const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
      const ns = mesh.addNamespace('shop');
      const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: r.ports.map(port => ({ port })), delivery: Delivery.argoRollouts({ minRequests: 7, steps: r.steps }) });
      r.callers.forEach((c, i) => {
        const caller = new MeshService(ns, `caller-${i}`, { image: 'example/caller:1.0.0', ports: [{ port: 8000 }] });
        api.allowFrom(caller, { port: r.ports[0], methods: c.methods, timeout: c.timeout === undefined ? undefined : Duration.seconds(c.timeout) });
      });
      api.addVersion('v2', { image: 'example/api:2.0.0', replicas: 1 });
      api.traffic.route({ canary: { version: 'v2', weight: r.weight, controller: DeliveryController.ARGO_ROLLOUTS } });
      app.synth();
      const list: K8sObject[] = chart.toJson();
      const rollout = named(list, 'Rollout', 'api');
      expect([...rollouts.errors(rollout), ...rollouts.errors(named(list, 'AnalysisTemplate', 'api-canary'))]).toEqual([]);
      expect(stepsOf(rollout).filter(s => 'setWeight' in s).map(s => s.setWeight)).toEqual(r.steps);
      const version = templateOf(list, rollout).metadata.labels.version;
      expect(version).toBe(r.weight > 0 ? 'v2' : 'v1');
      const stepped = rollout.spec.strategy.canary.trafficRouting.istio.virtualService.routes as string[];
      for (const route of named(list, 'VirtualService', 'api').spec.http as any[]) {
        expect(stepped).toContain(route.name);
        expect(route.route.map((d: any) => `${d.destination.subset}=${d.weight}`)).toEqual(['stable=100', 'canary=0']);
      }
      for (const m of named(list, 'AnalysisTemplate', 'api-canary').spec.metrics as any[]) {
        const query: string = m.provider.prometheus.query;
        expect(promqlErrors(query)).toEqual([]);
        for (const s of vectorSelectors(query)) expect(s.matchers.get('destination_version')).toBe(`="${version}"`);
        expect(query).toMatch(/>= 7\)\) or on\(\) vector\(0\)$/);
      }
      expect(Review.analyze(list).filter(f => f.severity === 'error').map(f => f.message)).toEqual([]);
    }), { numRuns: runs, seed: 20261130 });
  });
});
