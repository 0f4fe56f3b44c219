import { stringify } from 'yaml';

/**
 * A k6-operator `TestRun` (apiVersion k6.io/v1alpha1) plus the ConfigMap holding the script, as one
 * multi-document YAML for `kubectl apply -f`. `parallelism` k6 runners each take an equal execution
 * segment of the same scenarios, so the arrival rate is split, not multiplied.
 */
export function buildTestRunManifest(options: {
  name: string;
  scriptFile: string;
  script: string;
  parallelism: number;
  target: string;
  namespace?: string;
}): string {
  const resourceName = `opsproof-${options.name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 53);
  const metadata = { name: resourceName, ...(options.namespace ? { namespace: options.namespace } : {}) };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...metadata, name: `${resourceName}-script` },
    data: { [options.scriptFile]: options.script },
  };
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata,
    spec: {
      parallelism: options.parallelism,
      script: { configMap: { name: `${resourceName}-script`, file: options.scriptFile } },
      arguments: `--tag testid=${resourceName}`,
      runner: { env: [{ name: 'TARGET', value: options.target }] },
      cleanup: 'post',
    },
  };
  return `${stringify(configMap)}---\n${stringify(testRun)}`;
}
