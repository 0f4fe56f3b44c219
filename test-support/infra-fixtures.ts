import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import JSZip from 'jszip';
import { type ExperimentInput, type Suite, type SuiteInput, suiteSchema } from '../core/schema.ts';
import type { PackagedCanary } from '../infra/synthetics-canaries.ts';

/**
 * A stand-in for one packaged canary: infra tests need a zip CDK can hash and copy, not the real
 * bundle (packaging is canaries/package-canaries.ts's job and is tested there).
 */
export async function writeFixtureCanaryZip(
  dir: string,
  name: string,
  schedule = 'rate(5 minutes)',
): Promise<PackagedCanary> {
  mkdirSync(dir, { recursive: true });
  const zip = new JSZip();
  // A fixed date keeps the zip bytes, and so the asset hash, stable between runs.
  zip.file('index.mjs', `export const handler = async () => '${name}';\n`, {
    date: new Date(Date.UTC(2024, 0, 1)),
  });
  const zipPath = join(dir, `${name}.zip`);
  writeFileSync(zipPath, await zip.generateAsync({ type: 'uint8array' }));
  return { name, zipPath, handler: 'index.handler', runtimeVersion: 'syn-nodejs-playwright-6.0', schedule };
}

export function parseSuite(input: SuiteInput): Suite {
  return suiteSchema.parse(input);
}

interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement of a template (managed policies, inline role policies), with its owner. */
export function iamStatements(template: {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): { owner: string; statement: PolicyStatementJson }[] {
  const out: { owner: string; statement: PolicyStatementJson }[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const docs: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      docs.push(resource.Properties?.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const p of (resource.Properties?.Policies ?? []) as { PolicyDocument: unknown }[])
        docs.push(p.PolicyDocument);
    }
    for (const doc of docs) {
      for (const statement of (doc as { Statement: PolicyStatementJson[] }).Statement)
        out.push({ owner: id, statement });
    }
  }
  return out;
}

const resources = { lambdaFunctions: ['orders'], apiGateways: ['orders-api'], dlqNames: ['orders-dlq'] };
const environment = (tier: 'dev' | 'staging' | 'prod') => ({
  target: `https://${tier}.orders.example.com`,
  provider: 'aws' as const,
  region: 'us-east-1',
  tier,
  aws: {
    alarmPrefix: `orders-${tier}-`,
    resources,
    notifications: {
      critical: {
        emails: ['oncall@example.com'],
        urls: ['https://events.pagerduty.com/integration/abc/enqueue'],
      },
      warning: { urls: ['https://hooks.slack.com/services/T000/B000/XXXX'] },
      info: { emails: ['team@example.com'] },
    },
  },
});

/** A suite with every kind of service resource and alert route, in dev, staging and prod. */
export const ordersSuite: SuiteInput = {
  service: 'orders',
  environments: {
    local: { target: 'http://127.0.0.1:0' },
    dev: environment('dev'),
    staging: environment('staging'),
    prod: environment('prod'),
  },
  experiments: {
    'lambda-errors': {
      targets: {
        Functions: {
          resourceType: 'aws:lambda:function',
          resourceTags: { service: 'orders' },
          selectionMode: 'ALL',
        },
      },
      actions: {
        errors: {
          actionId: 'aws:lambda:invocation-error',
          parameters: { duration: 'PT2M', invocationPercentage: '20' },
          targets: { Functions: 'Functions' },
        },
      },
      // No stop condition configured: infra picks the service-down composite.
      expect: [{ kind: 'alarm-fires', alarm: 'Lambda-orders-ErrorRate', within: '3m' }],
    },
  },
};

/** The AWS-documented FIS templates, one per service family (chaos/fixtures/fis-templates/README.md). */
const FIS_TEMPLATE_FIXTURES = resolve(import.meta.dirname, '../chaos/fixtures/fis-templates');

/** The family fixtures whose every action has a generated least-privilege role (infra/README.md, "FIS"). */
export const FIS_FAMILIES_WITH_ROLES = [
  'ec2',
  'ecs',
  'eks',
  'rds-aurora',
  'dynamodb',
  'elasticache',
  'ssm',
  'network',
  'ebs',
  'lambda',
  's3',
  'data-stores',
] as const;

/**
 * A family's fixture template as a suite experiment for infra: without its own `roleArn` (the stack
 * generates the role) and stop conditions (the fixtures name alarms of no stack).
 */
export function fisFixtureExperiment(family: string): ExperimentInput {
  const raw = JSON.parse(readFileSync(join(FIS_TEMPLATE_FIXTURES, `${family}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
  const template = (raw.experimentTemplate ?? raw) as Record<string, unknown>;
  const {
    id: _id,
    arn: _arn,
    creationTime: _c,
    lastUpdateTime: _u,
    targetAccountConfigurationsCount: _n,
    roleArn: _role,
    stopConditions: _stop,
    ...experiment
  } = template;
  return experiment as ExperimentInput;
}

/** One aws environment (eu-west-1, account 123456789012, as the fixtures) running these experiments. */
export function fisFixtureSuite(experiments: Record<string, ExperimentInput>): Suite {
  return parseSuite({
    service: 'shop',
    environments: {
      staging: {
        target: 'https://staging.shop.example.com',
        provider: 'aws',
        region: 'eu-west-1',
        aws: { accountId: '123456789012' },
      },
    },
    experiments,
  });
}
