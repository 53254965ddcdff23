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
const RECORDS = new Set(['Call', 'ExternalCall', 'UnlistedEgress', 'ServiceVersion', 'ResolvedNetworkPolicySettings']);

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

  /** A type as data: 'string', 'number', 'boolean', 'function', 'any', or { struct | array | record | enum | instance | oneOf | literal }. */
  function describe(type, nameIfAnonymous) {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return 'any';
    if (type.flags & ts.TypeFlags.EnumLiteral || type.flags & ts.TypeFlags.Enum) {
      const symbol = type.isUnion() ? type.types[0].symbol?.parent : type.symbol?.parent ?? type.symbol;
      const members = type.isUnion() ? type.types : [type];
      return { enum: symbol ? symbol.getName() : 'enum', values: enumValues(type), names: members.map(m => m.symbol.getName()) };
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
    // Types of other packages (cdk8s-plus's ContainerResources, VolumeMount) and interfaces with methods (IMeshWorkload)
    // are objects of their own: their keys are not ours to judge.
    const ours = declaration && inProject(declaration);
    const hasMethods = type.getProperties().some(p => p.flags & ts.SymbolFlags.Method);
    if (!ours || hasMethods || /^I[A-Z]/.test(name ?? '')) return { instance: name && name !== '__type' ? name : 'object' };
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
        if (!takenBy.get(struct).includes(`${owner}(${parameter.getName()})`)) takenBy.get(struct).push(`${owner}(${parameter.getName()})`);
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
  // A class exported as a type only (`export type { ServiceTraffic }`) is made by the library, never by `new`.
  const typeOnly = new Set(checker.getExportsOfModule(entry)
    .filter(s => (s.declarations ?? []).every(d => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)))
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
        if (ctor && ts.getCombinedModifierFlags(ctor) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
        addParameters(`new ${symbol.getName()}`, signature);
      }
      const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
      const members = [...classType.getProperties().map(m => [m, '.']), ...instanceType.getProperties().map(m => [m, '#'])];
      for (const [member, separator] of members) {
        const memberDeclaration = member.valueDeclaration;
        // An inherited method is named after the class that declares it: MeshWorkload#allowFrom, once.
        const prefix = `${memberDeclaration?.parent?.name?.text ?? symbol.getName()}${separator}`;
        if (!memberDeclaration || !(member.flags & ts.SymbolFlags.Method) || member.getName().startsWith('_')) continue;
        // A renderer's render* methods are the model talking to it; @internal members are the model's own plumbing.
        if (/^render[A-Z]/.test(member.getName()) || ts.getJSDocTags(memberDeclaration).some(t => t.tagName.text === 'internal')) continue;
        if (ts.getCombinedModifierFlags(memberDeclaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
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

function literal(described) {
  if (typeof described === 'string') return `'${described}'`;
  const entries = Object.entries(described).map(([key, value]) => {
    if (Array.isArray(value)) {
      return `${key}: [${value.map(v => typeof v === 'object' ? literal(v) : JSON.stringify(v).replace(/"/g, '\'')).join(', ')}]`;
    }
    return `${key}: ${typeof value === 'object' ? literal(value) : typeof value === 'string' ? `'${value}'` : String(value)}`;
  });
  return `{ ${entries.join(', ')} }`;
}

function render(shapes, takenBy) {
  const lines = [
    '// generated by bin/generate-props-shapes.js from the props interfaces of src/: do not edit',
    '// (run `node bin/generate-props-shapes.js` after changing one; test/props-shapes.test.ts checks it is current)',
    'import type { PropsShape } from \'./props-shape\';',
    '',
    '/** Every props and options interface a public constructor, method or function takes, and the structs in them. */',
    'export const PROPS_SHAPES: Readonly<Record<string, PropsShape>> = {',
  ];
  for (const name of [...shapes.keys()].sort()) {
    const { fields } = shapes.get(name);
    const taken = (takenBy.get(name) ?? []).sort();
    lines.push(`  '${name}': {`);
    if (taken.length > 0) lines.push(`    takenBy: [${taken.map(t => `'${t}'`).join(', ')}],`);
    lines.push('    fields: {');
    for (const [field, optional, type] of fields) {
      lines.push(`      ${/^[A-Za-z_$][\w$]*$/.test(field) ? field : `'${field}'`}: { optional: ${optional}, type: ${literal(type)} },`);
    }
    lines.push('    },', '  },');
  }
  lines.push('};', '');
  return lines.join('\n');
}

const text = generate();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (current !== text) {
    process.stderr.write(`${path.relative(root, OUT)} is not current with the props interfaces: run node bin/generate-props-shapes.js\n`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(OUT, text);
}
