import { AccessDiff } from '../review/diff';
import { AccessEntry, AccessMatrix } from '../review/matrix';
import { Finding } from '../review/finding';

const HEADERS = ['FROM', 'TO', 'PORT', 'PROTOCOL', 'MTLS', 'METHODS', 'PATHS', 'NOTES'];

function row(e: AccessEntry): string[] {
  const notes = [
    ...(e.conditions.length > 0 ? [`depends on: ${e.conditions.join('; ')}`] : []),
    ...(e.notes ?? []),
    ...e.except.map(x => `denied: ${[x.methods.join(',') || 'any method', ...(x.notMethods ? [`not ${x.notMethods.join(',')}`] : [])].join(' ')} ${[x.paths.join(',') || 'any path', ...(x.notPaths ? [`not ${x.notPaths.join(' ')}`] : [])].join(' ')} (${x.policy})`),
  ];
  const methods = [e.methods.join(',') || '*', ...(e.notMethods.length ? [`not ${e.notMethods.join(',')}`] : [])].join(' ');
  const paths = [e.paths.join(' ') || '*', ...(e.notPaths.length ? [`not ${e.notPaths.join(' ')}`] : [])].join(' ');
  return [e.from, e.to, String(e.port), e.protocol, e.mtls, methods, paths, notes.join('; ')];
}

/** A plain-text table, columns padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

function markdownTable(headers: string[], rows: string[][]): string {
  const cell = (c: string) => c.replace(/\|/g, '\\|') || ' ';
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map(r => `| ${r.map(c => cell(c)).join(' | ')} |`),
  ].join('\n') + '\n';
}

export function formatMatrix(matrix: AccessMatrix, format: string): string {
  if (format === 'json') return JSON.stringify(matrix, null, 2) + '\n';
  const rows = matrix.entries.map(row);
  const apart = matrix.notEnforced.map(p => `not enforced: AuthorizationPolicy ${p.policy} (${p.reason})`);
  const footer = apart.length > 0 ? `\n${apart.join('\n')}\n` : '';
  if (format === 'markdown') return markdownTable(HEADERS, rows) + footer;
  return table(HEADERS, rows) + footer;
}

export function formatDiff(diff: AccessDiff, format: string): string {
  if (format === 'json') return JSON.stringify(diff, null, 2) + '\n';
  const describe = (e: AccessEntry) => `${e.from} -> ${e.to}:${e.port} ${e.methods.join(',') || '*'} ${e.paths.join(' ') || '*'}`;
  const md = format === 'markdown';
  const lines: string[] = [md ? '### Access changes' : 'Access changes', ''];
  if (!diff.gained.length && !diff.lost.length && !diff.mtlsWeakened.length) lines.push('No access changes.');
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push(md ? `**${title}** (${items.length})` : `${title} (${items.length}):`);
    for (const item of items) lines.push(md ? `- \`${item}\`` : `  ${item}`);
    lines.push('');
  };
  section('Calls gained', diff.gained.map(e => `+ ${describe(e)}`));
  section('Calls lost', diff.lost.map(e => `- ${describe(e)}`));
  section('mTLS weakened', diff.mtlsWeakened.map(c => `! ${c.subject}: ${c.before} -> ${c.after}`));
  if (diff.widened) lines.push(md ? '**Access widened.**' : 'Access widened.');
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}

export function formatFindings(findings: Finding[], sources: Map<object, string>, format: string): string {
  if (format === 'json') {
    return JSON.stringify(findings.map(f => ({
      code: f.code, severity: f.severity, source: sources.get(f.object), object: `${f.object.kind} ${f.object.metadata?.namespace ?? ''}/${f.object.metadata?.name}`,
      message: f.message, fix: f.fix, acknowledged: f.acknowledged,
    })), null, 2) + '\n';
  }
  const shown = findings.filter(f => f.acknowledged === undefined);
  const lines = shown.map(f => `${sources.get(f.object) ?? '?'}: ${f.severity} ${f.code} ${f.message}\n  fix: ${f.fix}`);
  const errors = shown.filter(f => f.severity === 'error').length;
  const acknowledged = findings.length - shown.length;
  lines.push(`${errors} error(s), ${shown.length - errors} warning(s)${acknowledged > 0 ? `, ${acknowledged} acknowledged` : ''}`);
  return lines.join('\n') + '\n';
}
