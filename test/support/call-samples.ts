/** Requests made from the reference call graph's edges, shared by the tests that read access back from a render. */

/** A concrete path for an Istio path template: `{*}` becomes one segment, `{**}` two. */
export function instantiate(template: string): string {
  return template.replace(/\{\*\*\}/g, 'a/b').replace(/\{\*\}/g, 'x1');
}

/** Whether an edge of call-graph.json allows this method and (instantiated) path. TCP edges allow any request. */
export function edgeAllows(edge: any, method: string, requestPath: string): boolean {
  const methods: string[] = edge.methods ?? [];
  const paths: string[] = edge.paths ?? [];
  if (edge.protocol === 'TCP') return true;
  return (methods.length === 0 || methods.includes(method)) && (paths.length === 0 || paths.map(instantiate).includes(requestPath));
}

/** Every request an edge declares: each method on each path (two samples each where it names none). */
export function sampleRequests(edge: any): Array<{ port: number; method?: string; path?: string }> {
  const methods: string[] = edge.methods?.length ? edge.methods : ['GET', 'POST'];
  const paths: string[] = edge.paths?.length ? edge.paths.map(instantiate) : ['/', '/any/path'];
  return methods.flatMap(method => paths.map(p => ({ port: edge.port, method, path: p })));
}
