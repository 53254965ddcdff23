#!/usr/bin/env node
// Writes src/model/props-shapes.generated.ts: the shape of every props and options interface that a public
// constructor, method or function of the model and the renderers takes (each field's name, optionality and type,
// nested structs followed), read from the TypeScript interfaces themselves, so that the runtime checks of unknown
// keys and of types have one source. `--check` only reports whether the committed file is current (exit 1 if not).
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const OUT = path.join(root, 'src', 'model', 'props-shapes.generated.ts');
const ENTRY = path.join(root, 'src', 'index.ts');
/** Where the constructs and methods whose arguments are checked live (review and synthesis take plain data). */
const ROOT_DIRS = ['src/model/', 'src/renderers/'];
/** Not props: the runtime checks themselves, and the analyzer (it takes peers as review data). */
const SKIPPED_CLASSES = new Set(['PropsCheck', 'Analyzer']);
/**
 * Records the library builds and hands to renderers and to callers (a Call, a ServiceVersion), never written by a
 * user: methods that take one back (`isIdempotent(call)`) are not given props.
 */
/** Classes whose objects the library makes (a service's traffic), exported as values for jsii's runtimes. */
const LIBRARY_MADE = new Set(['ServiceTraffic']);
const RECORDS = new Set(['Call', 'ExternalCall', 'UnlistedEgress', 'ServiceVersion', 'ResolvedNetworkPolicySettings', 'MeshModelProps',
  'ResolvedGoldenSignals']);

const hidden = ts.ModifierFlags.Private | ts.ModifierFlags.Protected;
const isTypeOnlyExport = specifier => specifier.isTypeOnly || specifier.parent.parent.isTypeOnly;

function inProject(decl) {
  const file = path.relative(root, decl.getSourceFile().fileName).split(path.sep).join('/');
  return file.startsWith('src/') ? file : undefined;
}

function generate() {
  const program = ts.createProgram([ENTRY], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, skipLibCheck: true,
    esModuleInterop: true, resolveJsonModule: true, noEmit: true, types: [],
  });
  const checker = program.getTypeChecker();
  /** Shapes by name: { fields: [[name, optional, type]] } */
  const shapes = new Map();
  /** Where each shape is taken: `Class.method(param)`. */
  const takenBy = new Map();

  function named(symbol) {
    return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  }

  function enumValues(type) {
    const members = type.isUnion() ? type.types : [type];
    return members.map(m => m.value).filter(v => v !== undefined);
  }

  /**
   * A type as data: 'string', 'number', 'boolean', 'function', 'any',
   * or { struct | array | record | enum | instance | oneOf | literal }.
   */
  function describe(type, nameIfAnonymous) {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return 'any';
    if (type.flags & ts.TypeFlags.EnumLiteral || type.flags & ts.TypeFlags.Enum) {
      const symbol = type.isUnion() ? type.types[0].symbol?.parent : type.symbol?.parent ?? type.symbol;
      const values = enumValues(type);
      // The members' names, where they differ from their values (`ARGO_ROLLOUTS = 'argo-rollouts'`), for messages.
      const names = (type.isUnion() ? type.types : [type]).map(m => m.symbol.getName());
      const described = { enum: symbol ? symbol.getName() : 'enum', values };
      return names.every((n, i) => n === values[i]) ? described : { ...described, names };
    }
    if (type.flags & ts.TypeFlags.Boolean) return 'boolean';
    if (type.flags & ts.TypeFlags.BooleanLiteral) return { literal: checker.typeToString(type) === 'true' };
    if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral | ts.TypeFlags.TemplateLiteral)) return 'string';
    if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return 'number';
    if (type.isUnion()) {
      const parts = type.types.filter(t => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
      // `boolean` inside a union is `true | false`: one member again.
      const hasTrue = parts.some(t => t.flags & ts.TypeFlags.BooleanLiteral && checker.typeToString(t) === 'true');
      const hasFalse = parts.some(t => t.flags & ts.TypeFlags.BooleanLiteral && checker.typeToString(t) === 'false');
      const rest = hasTrue && hasFalse ? parts.filter(t => !(t.flags & ts.TypeFlags.BooleanLiteral)) : parts;
      const described = rest.map(t => describe(t, nameIfAnonymous));
      if (hasTrue && hasFalse) described.unshift('boolean');
      const unique = [...new Map(described.map(d => [JSON.stringify(d), d])).values()];
      return unique.length === 1 ? unique[0] : { oneOf: unique };
    }
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const [item] = checker.getTypeArguments(type);
      return { array: item ? describe(item, nameIfAnonymous) : 'any' };
    }
    if (type.getCallSignatures().length > 0 && type.getProperties().length === 0) return 'function';
    if (type.isIntersection()) {
      // `ReleaseVersion & { steps?: number[] }`: one struct of both members' fields.
      addShape(nameIfAnonymous, type);
      return { struct: nameIfAnonymous };
    }
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const name = symbol?.getName();
    const declaration = symbol?.declarations?.[0];
    if (symbol && symbol.flags & ts.SymbolFlags.Class) return { instance: name };
    const index = type.getStringIndexType();
    if (index && type.getProperties().length === 0) return { record: describe(index, nameIfAnonymous) };
    // Types of other packages (cdk8s-plus's ContainerResources, VolumeMount) and interfaces with methods
    // (IMeshWorkload) are objects of their own: their keys are not ours to judge.
    const ours = declaration && inProject(declaration);
    const hasMethods = type.getProperties().some(p => p.flags & ts.SymbolFlags.Method);
    if (!ours || hasMethods || /^I[A-Z]/.test(name ?? '')) {
      return { instance: name && name !== '__type' ? name : 'object' };
    }
    const shapeName = symbol.flags & ts.SymbolFlags.Interface || type.aliasSymbol ? name : nameIfAnonymous;
    addShape(shapeName, type);
    return { struct: shapeName };
  }

  function addShape(name, type) {
    if (shapes.has(name)) return;
    const fields = [];
    shapes.set(name, { fields });
    for (const property of checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (!declaration) continue;
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      const propertyType = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, declaration));
      fields.push([property.getName(), optional, describe(propertyType, `${name}.${property.getName()}`)]);
    }
  }

  /** Registers the struct parameters of one signature of `owner.member`. */
  function addParameters(owner, signature) {
    for (const parameter of signature.getParameters()) {
      const declaration = parameter.valueDeclaration;
      const type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(parameter, declaration));
      const typeName = (type.aliasSymbol ?? type.getSymbol())?.getName();
      if (RECORDS.has(typeName)) continue;
      const described = describe(type, `${owner}(${parameter.getName()})`);
      for (const struct of structsIn(described)) {
        if (!takenBy.has(struct)) takenBy.set(struct, []);
        const taker = `${owner}(${parameter.getName()})`;
        if (!takenBy.get(struct).includes(taker)) takenBy.get(struct).push(taker);
      }
    }
  }

  function structsIn(described) {
    if (typeof described !== 'object') return [];
    if (described.struct) return [described.struct];
    if (described.array) return structsIn(described.array);
    if (described.record) return structsIn(described.record);
    if (described.oneOf) return described.oneOf.flatMap(structsIn);
    return [];
  }

  const entry = checker.getSymbolAtLocation(program.getSourceFile(ENTRY));
  // A class exported as a type only is made by the library, never by `new`; so are those listed in LIBRARY_MADE,
  // exported as values only so that other languages' runtimes can find them.
  const typeOnly = new Set(checker.getExportsOfModule(entry)
    .filter(s => (s.declarations ?? []).every(d => ts.isExportSpecifier(d) && isTypeOnlyExport(d))
      || LIBRARY_MADE.has(s.getName()))
    .map(s => named(s)));
  const exported = checker.getExportsOfModule(entry).map(named)
    .filter(s => (s.declarations ?? []).some(d => ROOT_DIRS.some(dir => (inProject(d) ?? '').startsWith(dir))))
    .sort((a, b) => a.getName().localeCompare(b.getName()));
  for (const symbol of exported) {
    const declaration = symbol.declarations[0];
    if (symbol.flags & ts.SymbolFlags.Class && !SKIPPED_CLASSES.has(symbol.getName())) {
      const classType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
      for (const signature of typeOnly.has(symbol) ? [] : classType.getConstructSignatures()) {
        const ctor = signature.getDeclaration();
        if (ctor && ts.getCombinedModifierFlags(ctor) & hidden) continue;
        addParameters(`new ${symbol.getName()}`, signature);
      }
      const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
      const members = [
        ...classType.getProperties().map(m => [m, '.']),
        ...instanceType.getProperties().map(m => [m, '#']),
      ];
      for (const [member, separator] of members) {
        const memberDeclaration = member.valueDeclaration;
        // An inherited method is named after the class that declares it: MeshWorkload#allowFrom, once.
        const prefix = `${memberDeclaration?.parent?.name?.text ?? symbol.getName()}${separator}`;
        if (!memberDeclaration || !(member.flags & ts.SymbolFlags.Method) || member.getName().startsWith('_')) continue;
        // A renderer's render* methods are the model talking to it; @internal members are the model's own plumbing.
        if (/^render[A-Z]/.test(member.getName())) continue;
        if (ts.getJSDocTags(memberDeclaration).some(t => t.tagName.text === 'internal')) continue;
        if (ts.getCombinedModifierFlags(memberDeclaration) & hidden) continue;
        for (const signature of checker.getTypeOfSymbolAtLocation(member, memberDeclaration).getCallSignatures()) {
          addParameters(`${prefix}${member.getName()}`, signature);
        }
      }
    } else if (symbol.flags & ts.SymbolFlags.Function) {
      for (const signature of checker.getTypeOfSymbolAtLocation(symbol, declaration).getCallSignatures()) {
        addParameters(symbol.getName(), signature);
      }
    }
  }
  return render(shapes, takenBy);
}

const MAX_LINE = 120;

const quote = s => `'${s.replace(/\\/g, '\\\\').replace(/'/g, '\\\'')}'`;
const keyOf = k => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k));

/** `value` as TypeScript source on one line. */
function inline(value) {
  if (typeof value === 'string') return quote(value);
  if (typeof value !== 'object' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  return `{ ${Object.entries(value).map(([k, v]) => `${keyOf(k)}: ${inline(v)}`).join(', ')} }`;
}

/**
 * Lines of `${prefix}${value},` at `indent`, on one line when it fits in MAX_LINE, else one entry a line.
 * `depth` levels from the top are always one entry a line, for readable diffs.
 */
function print(value, indent, prefix, depth) {
  const pad = ' '.repeat(indent);
  const one = `${pad}${prefix}${inline(value)},`;
  if (typeof value !== 'object' || value === null || (depth <= 0 && one.length <= MAX_LINE)) return [one];
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const entries = Array.isArray(value)
    ? value.map(v => ['', v])
    : Object.entries(value).map(([k, v]) => [`${keyOf(k)}: `, v]);
  const inner = entries.flatMap(([p, v]) => print(v, indent + 2, p, depth - 1));
  return [`${pad}${prefix}${open}`, ...inner, `${pad}${close},`];
}

function render(shapes, takenBy) {
  const data = {};
  for (const name of [...shapes.keys()].sort()) {
    const taken = (takenBy.get(name) ?? []).sort();
    const fields = Object.fromEntries(shapes.get(name).fields
      .map(([field, optional, type]) => [field, { optional, type }]));
    data[name] = taken.length > 0 ? { takenBy: taken, fields } : { fields };
  }
  const body = print(data, 0, '', 3);
  return [
    '// generated by bin/generate-props-shapes.js from the props interfaces of src/: do not edit',
    '// (run `node bin/generate-props-shapes.js` after changing one; test/props-shapes.test.ts checks it is current)',
    'import type { PropsShape } from \'./props-shape\';',
    '',
    '/** Every props and options interface a public constructor, method or function takes, and the structs in them. */',
    `export const PROPS_SHAPES: Readonly<Record<string, PropsShape>> = ${body[0]}`,
    ...body.slice(1, -1),
    '};',
    '',
  ].join('\n');
}

const text = generate();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (current !== text) {
    const file = path.relative(root, OUT);
    process.stderr.write(`${file} is not current with the props interfaces: run node bin/generate-props-shapes.js\n`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(OUT, text);
}
