import { App } from 'cdk8s';
import { Node } from 'constructs';
import { ManifestYaml } from './manifest-yaml';

/**
 * `app.synth()` as synth runs it: the same files and the same errors as cdk8s's, at a fraction of its cost.
 *
 * - cdk8s validates every construct in `App.synth()`, then again in each chart's `toJson()` that follows, on a tree
 *   that cannot change in between; checks that read rendered objects render them on every pass. Here each
 *   construct's validations run once per synth and later passes get the same result.
 * - The YAML is written by `ManifestYaml`, byte for byte cdk8s's, without yaml's syntax tree.
 */
export class AppSynth {
  public static synth(app: App): void {
    const validate = Node.prototype.validate;
    const results = new WeakMap<Node, string[]>();
    Node.prototype.validate = function (this: Node): string[] {
      let errors = results.get(this);
      if (errors === undefined) {
        errors = validate.call(this);
        results.set(this, errors);
      }
      return errors;
    };
    try {
      ManifestYaml.during(() => app.synth());
    } finally {
      Node.prototype.validate = validate;
    }
  }
}
