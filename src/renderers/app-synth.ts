import * as fs from 'fs';
import * as path from 'path';
import { App, Names, YamlOutputType } from 'cdk8s';
import { ManifestYaml } from './manifest-yaml';

/**
 * `app.synth()` as synth runs it: the same file and the same errors as cdk8s's, at a fraction of its cost, for an app
 * of one chart written to a file of its own (cdk8s's default layout, and every app this library's synth builds).
 *
 * - cdk8s's `app.synth()` validates every construct, then `Chart.toJson()` validates them all again before rendering
 *   (checks that read rendered objects render them on each pass). Here the chart's `toJson()` alone runs: one
 *   validation, one render.
 * - The YAML is written by `ManifestYaml`, byte for byte cdk8s's, without yaml's syntax tree.
 *
 * Any other app (several charts, another output layout, construct metadata asked for by
 * `CDK8S_RECORD_CONSTRUCT_METADATA`) is handed to `app.synth()` unchanged. Synth makes its apps itself, without the
 * `recordConstructMetadata` prop, so the variable is the only way metadata can be asked for here.
 */
export class AppSynth {
  public static synth(app: App): void {
    const charts = app.charts;
    const metadata = process.env.CDK8S_RECORD_CONSTRUCT_METADATA === 'true';
    if (charts.length !== 1 || app.yamlOutputType !== YamlOutputType.FILE_PER_CHART || metadata) {
      app.synth();
      return;
    }
    fs.mkdirSync(app.outdir, { recursive: true });
    const documents = charts[0].toJson();
    // cdk8s names a lone chart's file by its DNS label (SimpleChartNamer) and writes it with Yaml.save.
    const file = path.join(app.outdir, `${Names.toDnsLabel(charts[0])}${app.outputFileExtension}`);
    fs.writeFileSync(file, ManifestYaml.stringify(documents), { encoding: 'utf8' });
  }
}
