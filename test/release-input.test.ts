import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runRelease } from '../app/release';
import { loadReleases, main, synthTarget } from '../app/synth';
import { MeshTarget } from '../src/renderers/mesh-target';
import { REPO_ROOT } from './support/manifests';
import { buildLib, Sandbox } from './support/sandbox';

/**
 * What `npm run release` and `npm run synth` accept: decimal integers in range and nothing else, known services,
 * versions, commands and flags (an error lists the valid ones), and a release file that matches its schema, with the
 * file and the JSON path of each problem, before anything renders. A refused command changes nothing.
 */
let work: string;
let file: string;
let before: string;
const SERVICES = ['gateway-api', 'slm-service', 'soma-agent-hub/gateway-api', 'soma-agent-hub/slm-service'];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-release-input-'));
  file = path.join(work, 'releases.json');
  fs.copyFileSync(path.join(REPO_ROOT, 'releases.json'), file);
  before = fs.readFileSync(file, 'utf8');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const release = (...args: string[]) => runRelease(args, file, { services: SERVICES });

describe('release command lines', () => {
  const REFUSED: Array<[string[], string]> = [
    [['slm-service', 'canary', ''], 'the canary weight "" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'canary', '0x10'], 'the canary weight "0x10" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'canary', '1e1'], 'the canary weight "1e1" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'canary', '5.0'], 'the canary weight "5.0" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'canary', '+5'], 'the canary weight "+5" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'canary', '-1'], 'the canary weight "-1" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'canary', '101'], 'the canary weight 101 is out of range: give a decimal integer from 0 to 100'],
    [['slm-service', 'canary', '007'], 'the canary weight "007" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'canary'], 'canary takes 1 argument, not 0: for example "slm-service canary 5"'],
    [['slm-service', 'canary', '5', '6'], 'canary takes 1 argument, not 2 ("5" "6"): for example "slm-service canary 5"'],
    [['slm-service', 'start', 'v3', '--replicas', 'abc'], '--replicas "abc" is not a decimal integer: give a decimal integer from 0 to 1000, such as 5'],
    [['slm-service', 'start', 'v3', '--replicas=1e1'], '--replicas "1e1" is not a decimal integer: give a decimal integer from 0 to 1000, such as 5'],
    [['slm-service', 'start', 'v3', '--replicas'], '--replicas needs a value: --replicas <value>'],
    [['slm-service', 'start', 'v3', '--imgae', 'repo/x:3.0.0'], 'start takes only --image, --replicas, not --imgae: for example "slm-service start v3 --image repo/name:3.0.0 --replicas 1"'],
    [['slm-service', 'canary', '5', '--force', 'yes'], 'canary takes no options, not --force: for example "slm-service canary 5"'],
    [['slm-service', 'start', 'V3'], '"V3" is not a version name: use lower-case letters, digits and \'-\', for example "start v2"'],
    [['slm-service', 'split', 'v1=95', 'v2=5x'], 'the weight of v2 "5x" is not a decimal integer: give a decimal integer from 0 to 100, such as 5'],
    [['slm-service', 'split', 'v1=90', 'v1=10'], 'version v1 is given twice: give each version once, such as v1=90 v2=10'],
    [['slm-service', 'split', 'v1:90'], '"v1:90" is not <version>=<percent>: write v1=90 v2=10'],
    [['slm-service', 'bogus'], 'unknown command "bogus": use one of status, canary, next, promote, rollback, abort, start, split, stable'],
    [['nope', 'status'], 'unknown service "nope": use one of gateway-api, slm-service (or namespace/name)'],
    [['__proto__', 'status'], 'unknown service "__proto__": use one of gateway-api, slm-service (or namespace/name)'],
    [['toString', 'status'], 'unknown service "toString": use one of gateway-api, slm-service (or namespace/name)'],
    [['constructor', 'canary', '5'], 'unknown service "constructor": use one of gateway-api, slm-service (or namespace/name)'],
    [['slm-service'], 'a release command names a service and a command'],
  ];

  test.each(REFUSED)('%j is refused, and nothing changes', (args, message) => {
    let error: Error | undefined;
    try {
      release(...args);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error!.message.split('\n')[0]).toBe(message);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  test('a decimal integer in range is taken, and status reads it back', () => {
    const copy = path.join(work, 'taken.json');
    fs.copyFileSync(file, copy);
    expect(runRelease(['slm-service', 'canary', '0'], copy, { services: SERVICES })).toMatch(/^slm-service: v1 100% \(canary v2/);
    expect(runRelease(['slm-service', 'canary', '100'], copy, { services: SERVICES })).toMatch(/^slm-service: v2 100%/);
    expect(runRelease(['soma-agent-hub/slm-service', 'status'], copy, { services: SERVICES })).toMatch(/^soma-agent-hub\/slm-service: v1 100%\ndelivered by: the release file/);
    expect(JSON.parse(fs.readFileSync(copy, 'utf8')).services['slm-service'].canary.weight).toBe(100);
  });

  test('a version the service does not run is refused by the render, which lists the versions it runs', () => {
    const outdir = path.join(work, 'dist');
    expect(() => runRelease(['slm-service', 'stable', 'v9'], file, { services: SERVICES, targets: r => [synthTarget(outdir, r, MeshTarget.ISTIO)] }))
      .toThrow(/stable routes to version "v9", which slm-service does not run \(it runs v1, v2\)[^]*or route to one of v1, v2[^]*releases.json is unchanged, and so is every output folder\./);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.existsSync(outdir)).toBe(false);
  });
});

describe('the release file schema', () => {
  const bad = (name: string, edit: (releases: any) => void): string => {
    const releases = JSON.parse(before);
    edit(releases);
    const target = path.join(work, name);
    fs.writeFileSync(target, JSON.stringify(releases, null, 2));
    return target;
  };

  test('"steps": "1,5" and a null version: both problems, each with the file and its JSON path, before anything renders', () => {
    const target = bad('steps.json', r => {
      r.services['slm-service'].canary.steps = '1,5';
      r.services['slm-service'].versions.v2 = null;
    });
    const expected = `2 problems in the release file:\n`
      + `[${target} $.services["slm-service"].versions["v2"]] null is not a version: write {"image": "repo/name:2.0.0", "replicas": 1}, or {} for the service's image\n`
      + `[${target} $.services["slm-service"].canary.steps] "1,5" is not a list of steps: write ascending percentages ending at 100, such as [1, 5, 25, 50, 100]`;
    expect(() => loadReleases(target)).toThrow(expected);
    const outdir = path.join(work, 'never');
    expect(() => main(outdir, target)).toThrow(expected);
    expect(fs.existsSync(outdir)).toBe(false);
    expect(() => runRelease(['slm-service', 'status'], target, { services: SERVICES })).toThrow(expected);
    // docs/synth-and-release.md quotes this message, for the repository's own file.
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'synth-and-release.md'), 'utf8');
    expect(doc).toContain(expected.split(target).join('/repo/releases.json').replace(/^/gm, '  '));
  });

  const PROBLEMS: Array<[string, (r: any) => void, string]> = [
    ['weights as strings', r => { r.services['slm-service'] = { weights: { v1: '95', v2: '5' } }; }, '$.services["slm-service"].weights["v1"]] "95" is not a percentage: write an integer from 0 to 100'],
    ['canary weight a float', r => { r.services['slm-service'].canary.weight = 1.5; }, '$.services["slm-service"].canary.weight] 1.5 is not a percentage: write an integer from 0 to 100'],
    ['replicas a string', r => { r.services['slm-service'].versions.v2.replicas = '1'; }, '$.services["slm-service"].versions["v2"].replicas] "1" is not a number of pods: write an integer from 0 to 10000'],
    ['image upper case', r => { r.services['slm-service'].versions.v2.image = 'Soma/SLM:2.0.0'; }, '$.services["slm-service"].versions["v2"].image] image "Soma/SLM:2.0.0" is not an image reference: "Soma" is not a repository name part; repository names are lower case: write "soma/slm:2.0.0"'],
    ['unknown key', r => { r.services['slm-service'].canaryy = {}; }, '$.services["slm-service"].canaryy] unknown key "canaryy": use versions, stable, canary, weights, match, mirror'],
    ['services a list', r => { r.services = []; }, '$.services] [] is not an object: write {"<service>": {"stable": "v1", ...}}'],
    ['__proto__ service', r => { r.services = JSON.parse('{"__proto__": {"stable": "v1"}}'); }, '$.services["__proto__"]] "__proto__" is not a service name: write a declared service\'s name, or namespace/name'],
    ['match not a list', r => { r.services['slm-service'].match = { version: 'v2' }; }, '$.services["slm-service"].match] {"version":"v2"} is not a list: write [{"version": "v2", "headers": {"x-cohort": "beta"}}]'],
    ['mirror percent 0', r => { r.services['slm-service'].mirror = { version: 'v2', percent: 0 }; }, '$.services["slm-service"].mirror.percent] 0 is not a percentage above 0: write a number from 0.01 to 100'],
  ];

  test.each(PROBLEMS)('%s', (name, edit, message) => {
    const target = bad(`${name.replace(/\W+/g, '-')}.json`, edit);
    expect(() => loadReleases(target)).toThrow(`[${target} ${message}`);
  });

  test('a file that is not JSON names the file and says how to restore it', () => {
    const target = path.join(work, 'truncated.json');
    fs.writeFileSync(target, before.slice(0, 40));
    expect(() => loadReleases(target)).toThrow(new RegExp(`^\\[${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\] is not JSON \\(.*\\): fix the JSON, or restore it with git checkout$`));
  });
});

describe('synth command line', () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    buildLib();
    sandbox = Sandbox.create('soma-synth-args-');
  });
  afterAll(() => sandbox.remove());

  test('--mesh=linkerd renders Linkerd only; an unknown option or mesh is refused, listing the valid ones', async () => {
    const before = sandbox.snapshot();
    const linkerd = await sandbox.run('synth', ['--mesh=linkerd']);
    expect(linkerd.code).toBe(0);
    expect(sandbox.snapshot()).toEqual(before);
    const typo = await sandbox.run('synth', ['--meshh', 'linkerd']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('synth failed: unknown option "--meshh": use --mesh <name>, --delivery, --out, or nothing to render every mesh');
    const unknown = await sandbox.run('synth', ['--mesh', 'consul']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('synth failed: unknown mesh "consul": use one of istio, linkerd, istio-ambient');
    expect(sandbox.snapshot()).toEqual(before);
  });
});
