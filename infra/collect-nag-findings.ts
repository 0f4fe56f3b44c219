import type { cx_api } from 'aws-cdk-lib';

export interface NagFinding {
  level: 'error' | 'warning' | 'info';
  path: string;
  message: string;
}

/** Every annotation of a synthesized assembly (cdk-nag findings included), flattened. */
export function collectNagFindings(assembly: cx_api.CloudAssembly): NagFinding[] {
  const findings: NagFinding[] = [];
  for (const stack of assembly.stacks) {
    for (const [path, entries] of Object.entries(stack.manifest.metadata ?? {})) {
      for (const entry of entries) {
        if (
          entry.type !== 'aws:cdk:error' &&
          entry.type !== 'aws:cdk:warning' &&
          entry.type !== 'aws:cdk:info'
        ) {
          continue;
        }
        const level = entry.type.slice('aws:cdk:'.length) as NagFinding['level'];
        findings.push({ level, path, message: String(entry.data) });
      }
    }
  }
  return findings;
}
