import { ApiObject } from 'cdk8s';

/**
 * Resolving an ApiObject (Lazy values, JSON patches) is most of synth's cost, and checks that read the rendered
 * objects at validation would double it. Validation renders each object once here; the synth that follows
 * writes that same JSON (the next `toJson()` hands it over and forgets it), and checks that run later in the same
 * validation read it through `renderedJson`. This replaces `toJson` on the object rather than using Lazy values,
 * because what is kept is the whole resolved object, patches included, and cdk8s offers no hook between validation
 * and output. It relies on nothing changing between a validation and the output that follows: no user code runs
 * between them inside one synth, the mesh refuses declarations once rendered, and every validation renders afresh,
 * so a patch made between two synths shows in the second (test/render-phase.test.ts holds both).
 */
const rendered = new WeakMap<ApiObject, any>();

/** Renders `apiObject` for a check at validation, and keeps the result for this synth's output. */
export function renderForValidation(apiObject: ApiObject): any {
  const self = apiObject as { toJson: () => any };
  // A hand-over left by an earlier validation whose synth never wrote (it failed): render afresh.
  if (Object.prototype.hasOwnProperty.call(self, 'toJson')) delete (self as any).toJson;
  const json = apiObject.toJson();
  rendered.set(apiObject, json);
  self.toJson = () => {
    delete (self as any).toJson;
    rendered.delete(apiObject);
    return json;
  };
  return json;
}

/** The object as this synth will write it: what validation rendered, or a fresh rendering. */
export function renderedJson(apiObject: ApiObject): any {
  return rendered.has(apiObject) ? rendered.get(apiObject) : apiObject.toJson();
}
