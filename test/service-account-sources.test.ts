import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { KubeObject } from '../src/review/inventory';
import { accessMatrix, decide } from '../src/review/matrix';
import { cli } from './support/cli';
import { deployment, policy, service, strict } from './support/fixtures';

/**
 * The service-account forms of a source Istio added beside principals: `serviceAccounts` / `notServiceAccounts`
 * (`namespace/name`, or `name` in the policy's namespace) and the `source.serviceAccount` condition, decided from the
 * YAML like principals, on TCP ports as on HTTP ones.
 */
const beta = (tcpName: string | undefined, rules: { allow: any[]; deny: any[] }): KubeObject[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'beta', labels: { 'istio-injection': 'enabled' } } },
  strict('beta'), deployment('beta', 'auth-v1', [9000]), service('beta', 'auth-v1', [[9000, tcpName]]), deployment('beta', 'auth-v2', [9001]),
  deployment('beta', 'other', [9002]),
  policy('beta', 'allow', { selector: { matchLabels: { app: 'auth-v1' } }, rules: rules.allow }),
  policy('beta', 'deny', { selector: { matchLabels: { app: 'auth-v1' } }, action: 'DENY', rules: rules.deny }),
];

describe('serviceAccounts and notServiceAccounts', () => {
  test.each([['a TCP port', 'tcp-auth'], ['a sniffed port', undefined]])('on %s: ALLOW by notPrincipals, DENY sparing one account', (_n, name) => {
    const m = accessMatrix(beta(name, {
      allow: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/beta/sa/auth-v1'] } }] }],
      deny: [{ from: [{ source: { notServiceAccounts: ['auth-v2'] } }] }],
    }));
    expect(decide(m, { from: 'beta/auth-v2', to: 'beta/auth-v1', port: 9000 }).decision).toBe('allowed');
    expect(decide(m, { from: 'beta/other', to: 'beta/auth-v1', port: 9000 }).decision).toBe('denied');
    expect(m.entries.filter(e => e.to === 'beta/auth-v1' && e.conditions.length === 0).map(e => e.from)).toEqual(['beta/auth-v2']);
  });
});

describe('when: source.serviceAccount', () => {
  const objects = beta('tcp-auth', {
    allow: [{ when: [{ key: 'source.serviceAccount', values: ['beta/auth-v2'] }] }],
    deny: [{ when: [{ key: 'source.serviceAccount', values: ['other'] }] }],
  });

  test('is decided from the YAML: the account named is admitted, others are not', () => {
    const m = accessMatrix(objects);
    expect(decide(m, { from: 'beta/auth-v2', to: 'beta/auth-v1', port: 9000 }).decision).toBe('allowed');
    expect(decide(m, { from: 'beta/other', to: 'beta/auth-v1', port: 9000 }).decision).toBe('denied');
    expect(m.entries.filter(e => e.to === 'beta/auth-v1').map(e => `${e.from} ${e.conditions.join(';')}`)).toEqual(['beta/auth-v2 ', 'sa:beta/auth-v2 ']);
  });

  test('is a condition Istio knows: soma-mesh reads it instead of refusing the YAML', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-sa-'));
    try {
      fs.writeFileSync(path.join(dir, 'beta.yaml'), objects.map(o => stringify(o)).join('---\n'));
      const result = cli('matrix', dir, '--format', 'json');
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
