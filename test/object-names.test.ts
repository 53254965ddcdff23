import { ApiObject, App, Chart, JsonPatch, Lazy } from 'cdk8s';
import { checkObjectNames } from '../src/model/object-names';

/** A ConfigMap whose name is given lazily, as names read from the call graph at synth are. */
function lazilyNamed(name: string): { chart: Chart; object: ApiObject } {
  const chart = new Chart(new App(), 'chart');
  const object = new ApiObject(chart, 'cm', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: Lazy.any({ produce: () => name }) as any, labels: { app: 'x' } },
  });
  return { chart, object };
}

describe('object names given lazily', () => {
  test('are checked from the resolved metadata, without rendering the whole object', () => {
    const { chart, object } = lazilyNamed('Not_A_Name');
    const render = jest.spyOn(object, 'toJson');
    expect(checkObjectNames(chart)).toEqual([
      'ConfigMap name "Not_A_Name" (made at chart/cm) is not valid for a ConfigMap: '
      + 'use lower-case letters, digits, \'-\' and \'.\'',
    ]);
    expect(render).not.toHaveBeenCalled();
    expect(checkObjectNames(lazilyNamed('good-name').chart)).toEqual([]);
  });

  test('are checked as rendered when a JSON patch can change them', () => {
    const { chart, object } = lazilyNamed('good-name');
    object.addJsonPatch(JsonPatch.replace('/metadata/name', 'Patched_Name'));
    expect(checkObjectNames(chart)).toEqual([
      'ConfigMap name "Patched_Name" (made at chart/cm) is not valid for a ConfigMap: '
      + 'use lower-case letters, digits, \'-\' and \'.\'',
    ]);
  });
});
