import {
  AspectPriority,
  Aspects,
  type CfnResource,
  aws_iam as iam,
  type Stack,
  aws_s3 as s3,
  Validations,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { fisWildcardReason } from './fis-action-policies.ts';

/**
 * Why each remaining wildcard is needed, by statement Sid (FIS roles, built in fis-permissions.ts) or
 * by action (the Synthetics canary roles aws-cdk-lib generates). A wildcard not listed here stays an
 * unacknowledged cdk-nag error, so a new one cannot slip in silently.
 */
const WILDCARD_REASONS: Record<string, string> = {
  ResolveTargetsByTags:
    'tag:GetResources (Resource Groups Tagging API) has no resource-level permissions; FIS calls it to resolve targets selected by tags, as the AWSFaultInjectionSimulator*Access managed policies do.',
  CreateLogDelivery:
    'logs:CreateLogDelivery has no resource-level permissions; FIS needs it to deliver the experiment log to its CloudWatch Logs group.',
  LogGroupResourcePolicy:
    'Log delivery reads and sets the CloudWatch Logs resource policy, which is account-level; scoped to this account and region.',
  InspectTargetFunctions:
    'Functions are selected by tag when the experiment starts, so their ARNs are unknown at deploy time; lambda:GetFunction (read-only) is scoped to functions of this account and region.',
  WriteFaultConfiguration:
    'FIS writes and deletes one fault-configuration object per experiment under the FisConfigs/ folder of the configuration bucket; FIS chooses the object keys.',
  StopTargetTasks:
    'ECS task ids change with every deployment; ecs:StopTask and ecs:DescribeTasks are scoped to tasks of the target cluster.',
  ListTasks: 'ecs:ListTasks is authorised on container instances and cannot be scoped to tasks.',
  's3:ListAllMyBuckets':
    'Synthetics canary role (aws-cdk-lib default): s3:ListAllMyBuckets has no resource-level permissions; the runtime uses it to locate the artifacts bucket.',
  'cloudwatch:PutMetricData':
    'Synthetics canary role (aws-cdk-lib default): PutMetricData has no resource-level permissions; the statement is limited to the CloudWatchSynthetics namespace by condition.',
  's3:PutObject':
    'Synthetics canary role (aws-cdk-lib default): artifacts of this canary only, under its own prefix of the artifacts bucket.',
  CreateCanaryNetworkInterfaces:
    'VPC canaries: Lambda creates the network interfaces in the given subnets and security groups, whose ids are unknown until created; the subnets and security groups are named.',
  DeleteCanaryNetworkInterfaces:
    'VPC canaries: network interface ids are unknown until Lambda creates them; deletion is limited to interfaces in the canary subnets by condition.',
  DescribeNetworkInterfaces: 'ec2:DescribeNetworkInterfaces has no resource-level permissions.',
  'logs:CreateLogStream':
    "Synthetics canary role (aws-cdk-lib default): the canary's Lambda log group is named by Synthetics (/aws/lambda/cwsyn-<name>-<id>), so it is matched by prefix.",
};

const BUCKET_ACCESS_LOG_REASON: Record<string, string> = {
  ArtifactAccessLogs:
    'This bucket receives the server access logs of the canary artifacts bucket; logging it to itself would loop and to a third bucket would only log the log reads.',
  Bucket:
    'FIS Lambda fault configurations: short-lived objects (expire after 1 day) written only by the FIS experiment roles; FIS experiment logs already record every experiment.',
};

/** Acknowledges, with a written reason, each cdk-nag finding this stack keeps on purpose. */
export function applyNagSuppressions(stack: Stack): void {
  // A role policy over IAM's inline size limit is split into OverflowPolicy managed policies by a
  // mutating aspect at synthesis; a read-only aspect runs after it and sees them.
  Aspects.of(stack).add(
    {
      visit: (node) => {
        if (node instanceof iam.CfnManagedPolicy)
          acknowledgeWildcards(node, stack.resolve(node.policyDocument));
      },
    },
    { priority: AspectPriority.READONLY },
  );
  for (const node of stack.node.findAll()) {
    if (node instanceof iam.CfnPolicy) acknowledgeWildcards(node, stack.resolve(node.policyDocument));
    if (node instanceof iam.CfnRole) {
      // The L1 property keeps its camelCase keys after resolve.
      const inline = (stack.resolve(node.policies) ?? []) as { policyDocument?: unknown }[];
      for (const p of inline) acknowledgeWildcards(node, p.policyDocument);
    }
    if (node instanceof s3.Bucket) {
      const reason = BUCKET_ACCESS_LOG_REASON[node.node.id];
      if (reason) Validations.of(node).acknowledge({ id: 'AwsSolutions-S1', reason });
    }
  }
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}

function acknowledgeWildcards(policy: IConstruct, resolvedDocument: unknown): void {
  const document = (resolvedDocument ?? {}) as { Statement?: Statement[] };
  for (const statement of document.Statement ?? []) {
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    const reason =
      (statement.Sid !== undefined
        ? (WILDCARD_REASONS[statement.Sid] ?? fisWildcardReason(statement.Sid))
        : undefined) ?? actions.map((a) => WILDCARD_REASONS[a]).find((r) => r !== undefined);
    if (!reason) continue;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const rendered = renderForNag(resource);
      if (rendered.includes('*')) acknowledge(policy, `AwsSolutions-IAM5[Resource::${rendered}]`, reason);
    }
  }
}

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Renders a resolved CloudFormation value the way cdk-nag names it in findings. */
function renderForNag(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(renderForNag).join(sep);
    }
  }
  return JSON.stringify(value);
}

/**
 * Suppresses checkov checks on a resource with the reason, in the template (`Metadata.checkov.skip`),
 * where checkov reads them: the same reasoning as cdk-nag's acknowledgements, for the scanner.
 */
export function skipCheckov(construct: IConstruct, reasons: Record<string, string>): void {
  const cfn = construct.node.defaultChild as CfnResource;
  cfn.addMetadata('checkov', { skip: Object.entries(reasons).map(([id, comment]) => ({ id, comment })) });
}
