/** Istio's string matching for principals, namespaces and paths: exact, `*`, `*suffix`, `prefix*`, or a `{*}`/`{**}` path template. */
export function stringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

export function pathMatch(pattern: string, path: string): boolean {
  if (!pattern.includes('{')) return stringMatch(pattern, path);
  const want = pattern.split('/');
  const got = path.split('/');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '{**}') return got.length > i && got.slice(i).every(s => s !== '') || got.length === i;
    if (i >= got.length) return false;
    if (want[i] === '{*}') {
      if (got[i] === '') return false;
      continue;
    }
    if (want[i] !== got[i]) return false;
  }
  return want.length === got.length;
}
