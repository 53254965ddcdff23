import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as fc from 'fast-check';
import { releaseFileProblems } from '../src/model/release-schema';
import { REPO_ROOT } from './support/manifests';

/**
 * The release file check agrees with docs/releases.schema.json, the JSON Schema written apart from it (and read by
 * editors), on generated documents mixing valid and invalid values at every field: an independent oracle.
 * SOMA_SCHEMA_RUNS sets how many documents (small by default).
 */
const RUNS = Number(process.env.SOMA_SCHEMA_RUNS ?? 300);
const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'releases.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const junk = fc.oneof(fc.constant(null), fc.boolean(), fc.constant('1,5'), fc.constant(''), fc.constant([]), fc.constant({}), fc.double({ noNaN: true }));
const version = fc.oneof(fc.constantFrom('v1', 'v2', 'canary-2', '2'), fc.constantFrom('V2', 'v_2', '-v', 'a'.repeat(64)), junk);
const percent = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: -5, max: 110 }), fc.constantFrom(1.5, '95', '5'), junk);
const image = fc.oneof(
  fc.constantFrom('somaagent/slm:2.0.0', 'registry.example.com:5000/team/web:1.2', 'localhost/web:1', `web@sha256:${'a'.repeat(64)}`, 'gcr.io/p/x:v1_2.3-rc'),
  fc.constantFrom('Example/Web:1.0', 'exämple/wéb:1.0', 'example/x', 'example/x:latest', 'example/x:-bad', 'a//b:1', ':1', 'web@sha256:abc'),
  junk,
);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const canary = fc.oneof(
  fc.record({ version, weight: percent, steps: optional(fc.oneof(fc.array(percent, { maxLength: 4 }), junk)) }, { requiredKeys: [] }),
  junk,
);
const versions = fc.oneof(fc.dictionary(fc.constantFrom('v2', 'v3', 'V4'), fc.oneof(
  fc.record({ image: optional(image), replicas: optional(fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom('1', 20000), junk)) }, { requiredKeys: [] }),
  junk,
), { maxKeys: 2 }), junk);
const match = fc.oneof(fc.array(fc.oneof(fc.record({
  version,
  name: optional(version),
  headers: optional(fc.oneof(fc.dictionary(fc.constantFrom('x-cohort', 'x-b'), fc.oneof(fc.string(), junk), { maxKeys: 2 }), junk)),
  callers: optional(fc.oneof(fc.array(fc.oneof(fc.constantFrom('memory-gateway'), junk), { maxLength: 2 }), junk)),
}, { requiredKeys: [] }), junk), { maxLength: 2 }), junk);
const mirror = fc.oneof(fc.record({ version, percent: fc.oneof(fc.constantFrom(0, 0.5, 10, 100, 101), junk) }, { requiredKeys: [] }), junk);
const release = fc.oneof(fc.record({
  versions: optional(versions), stable: optional(version), canary: optional(canary), weights: optional(fc.oneof(fc.dictionary(fc.constantFrom('v1', 'v2'), percent, { maxKeys: 2 }), junk)),
  match: optional(match), mirror: optional(mirror), canaryy: optional(fc.constant({})),
}, { requiredKeys: [] }), junk);
const file = fc.oneof(
  fc.record({ services: fc.dictionary(fc.constantFrom('slm-service', 'ns/api', 'Bad_Name', 'a/b/c'), release, { maxKeys: 3 }) }),
  fc.record({ services: fc.oneof(junk, fc.dictionary(fc.constantFrom('slm-service'), release, { maxKeys: 1 })), extra: optional(fc.constant(1)) }),
  junk,
);

test(`the check and the JSON Schema agree on ${RUNS} generated release files`, () => {
  let valid = 0;
  fc.assert(fc.property(file, generated => {
    const doc = JSON.parse(JSON.stringify(generated ?? null));
    const schemaSays = validate(doc) as boolean;
    const problems = releaseFileProblems(doc);
    if (schemaSays) valid++;
    if (schemaSays !== (problems.length === 0)) {
      throw new Error(`disagree on ${JSON.stringify(doc)}: schema ${schemaSays ? 'accepts' : `refuses (${JSON.stringify(validate.errors?.slice(0, 2))})`}, check ${problems.length === 0 ? 'accepts' : `refuses (${JSON.stringify(problems.slice(0, 2))})`}`);
    }
  }), { numRuns: RUNS });
  // The generator reaches both sides, so agreement is not agreement on "everything is wrong".
  expect(valid).toBeGreaterThan(RUNS / 50);
});

test('the committed releases.json matches the schema', () => {
  const doc = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'releases.json'), 'utf8'));
  expect(validate(doc)).toBe(true);
  expect(releaseFileProblems(doc)).toEqual([]);
});
