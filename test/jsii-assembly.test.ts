import * as fs from 'fs';
import * as path from 'path';
import * as reflect from 'jsii-reflect';
import * as ts from 'typescript';
import { ensureAssembly, ROOT } from './support/jsii-build';

/**
 * The assembly other languages are generated from holds the TypeScript API: every class, struct, interface and enum
 * that src/index.ts exports (read here with the TypeScript compiler, not from the library), every field of every
 * props struct, and the review and release entry points; nothing of the generated CRD classes.
 */

/** TypeScript-only exports (marked `@jsii ignore`): callbacks, Error subclasses, JSON with index signatures. */
const TYPESCRIPT_ONLY = new Set([
  'PropsCheck', 'KubeObject', 'MeshDetectionError', 'SynthTarget', 'OutputLock', 'OutputLockOptions',
  'WorkloadNetworkPolicy', 'NamespaceNetworkPolicies',
  // in the submodules: renderer-built constructs whose constructors take renderer internals
  'istio.CanaryAnalysisTemplate', 'istio.EgressGatewayRoute', 'istio.EgressGatewayRouteProps',
  'linkerd.PortServer', 'linkerd.Authentication', 'linkerd.PortServerOptions', 'linkerd.LinkerdTrafficRoutes',
  'linkerd.ProxyAdminServer', 'linkerd.ProxyAdminServerOptions', 'ambient.ZtunnelPolicy', 'ambient.WaypointPolicy',
]);

/** TypeScript-only fields: warning callbacks (`onWarning`), until they become an I-interface sink. */
const TYPESCRIPT_ONLY_FIELDS = new Set(['MeshProps.onWarning', 'LinkerdRendererProps.onWarning', 'IstioAmbientRendererProps.onWarning']);

interface TsExport {
  readonly name: string;
  readonly kind: 'class' | 'interface' | 'enum';
  readonly properties: string[];
}

/** What the TypeScript entry point exports, as the TypeScript compiler sees it: `name` or `namespace.name`. */
function typescriptExports(): TsExport[] {
  const entry = path.join(ROOT, 'src', 'index.ts');
  const program = ts.createProgram([entry], { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022 });
  const checker = program.getTypeChecker();
  const found: TsExport[] = [];
  const visit = (moduleSymbol: ts.Symbol, prefix: string) => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = prefix + exported.name;
      if (symbol.flags & ts.SymbolFlags.ValueModule && symbol.valueDeclaration && ts.isSourceFile(symbol.valueDeclaration)) {
        visit(symbol, `${name}.`);
      } else if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.Enum)) {
        const kind = symbol.flags & ts.SymbolFlags.Class ? 'class' : symbol.flags & ts.SymbolFlags.Enum ? 'enum' : 'interface';
        const type = checker.getDeclaredTypeOfSymbol(symbol);
        const properties = kind === 'interface' ? checker.getPropertiesOfType(type).map(p => p.name) : [];
        found.push({ name, kind, properties });
      }
    }
  };
  visit(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!, '');
  return found;
}

let assembly: reflect.Assembly;
beforeAll(async () => {
  ensureAssembly();
  const system = new reflect.TypeSystem();
  assembly = await system.load(ROOT, { validate: true });
}, 15 * 60 * 1000);

test('every type the TypeScript API exports is in the assembly, under the same name', () => {
  const exported = typescriptExports();
  expect(exported.length).toBeGreaterThan(100);
  const inAssembly = new Set(assembly.allTypes.map(t => t.fqn.replace(/^soma-mesh\./, '')));
  const missing = exported.filter(e => !TYPESCRIPT_ONLY.has(e.name) && !inAssembly.has(e.name)).map(e => e.name);
  expect(missing).toEqual([]);
  // The TypeScript-only list stays exact: an entry that jsii now carries is removed from it.
  expect([...TYPESCRIPT_ONLY].filter(name => inAssembly.has(name))).toEqual([]);
});

test('every field of every exported struct crosses, and props structs are structs', () => {
  const problems: string[] = [];
  for (const e of typescriptExports().filter(x => x.kind === 'interface' && !TYPESCRIPT_ONLY.has(x.name))) {
    const type = assembly.findType(`soma-mesh.${e.name}`);
    if (!type.isInterfaceType()) {
      problems.push(`${e.name} is not an interface`);
      continue;
    }
    if (e.name.endsWith('Props') && !type.isDataType()) problems.push(`${e.name} is not a struct`);
    const jsiiProps = new Set(type.allProperties.map(p => p.name));
    const jsiiMethods = new Set(type.allMethods.map(m => m.name));
    for (const p of e.properties) {
      if (!jsiiProps.has(p) && !jsiiMethods.has(p) && !TYPESCRIPT_ONLY_FIELDS.has(`${e.name}.${p}`)) problems.push(`${e.name}.${p}`);
    }
  }
  expect(problems).toEqual([]);
});

test('the constructs, review, release and synthesis entry points are there for every language', () => {
  const statics = (fqn: string) => assembly.findType(`soma-mesh.${fqn}`) as reflect.ClassType;
  const methods = (fqn: string) => statics(fqn).allMethods.filter(m => m.static).map(m => m.name).sort();
  expect(methods('Review')).toEqual([
    'accessMatrix', 'allows', 'analyze', 'decide', 'detectMesh', 'diffMatrices', 'diffObjects', 'edgesOfMatrix',
    'linkerdAccessMatrix', 'toDot', 'toMermaid', 'validateObjects',
  ]);
  expect(methods('Release')).toEqual([
    'apply', 'deliveredVersion', 'fileProblems', 'nextStep', 'parseFile', 'promote', 'readFile', 'resolveSplit',
    'rollback', 'setCanaryWeight', 'setSplit', 'setStable', 'startCanary',
  ]);
  expect(methods('Synthesis')).toEqual(['atomically', 'transaction']);
  expect(statics('Codes').allProperties.map(p => p.name).sort()).toEqual(['ACKNOWLEDGE_ANNOTATION', 'ALL', 'BY_NAME']);
  for (const construct of ['Mesh', 'MeshNamespace', 'MeshService', 'AdoptedWorkload', 'ExistingWorkload', 'ExternalHost',
    'PublicIngress', 'MeshTelemetry', 'istio.CallerPolicy', 'istio.WorkloadSidecar', 'istio.IstioTrafficRoutes']) {
    const type = statics(construct);
    expect(type.getAncestors().map(a => a.fqn)).toContain('constructs.Construct');
  }
  // Callbacks became I-interfaces with methods; string unions became enums.
  expect(assembly.findType('soma-mesh.IAppBuilder').isInterfaceType()).toBe(true);
  expect(assembly.findType('soma-mesh.DetectedMesh').isEnumType()).toBe(true);
});

test("the assembly holds soma-mesh's types only: no generated CRD class, nothing from imports/", () => {
  const fromImports = assembly.allTypes.filter(t => t.locationInModule?.filename.startsWith('imports/'));
  expect(fromImports.map(t => t.fqn)).toEqual([]);
  expect(assembly.allTypes.every(t => t.fqn.startsWith('soma-mesh.'))).toBe(true);
  expect(assembly.allTypes.length).toBeLessThan(250);
  const targets = assembly.targets!;
  expect(Object.keys(targets).sort()).toEqual(['dotnet', 'go', 'java', 'js', 'python']);
  expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bundledDependencies).toEqual(['ajv', 'yaml']);
});

test('every class of the assembly is a runtime export (an `export type` class cannot be loaded by other languages)', () => {
  // The compiled entry point the kernel loads: a class exported with `export type` is absent from it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const compiled = require(path.join(ROOT, 'lib', 'src', 'index.js'));
  const absent = assembly.allClasses.map(c => c.fqn).filter(fqn => {
    let value = compiled;
    for (const part of fqn.split('.').slice(1)) value = value?.[part];
    return typeof value !== 'function';
  });
  expect(absent).toEqual([]);
});
