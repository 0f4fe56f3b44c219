import type { aws_cloudwatch as cw } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AlarmFactory } from './alarm-factory.ts';
import { buildServiceAlarmSpecs, type ServiceResources } from './alarm-specs.ts';
import type { MonitoringProfile } from './monitoring-profile.ts';

export interface ServiceMonitoringProps {
  resources: ServiceResources;
  profile: MonitoringProfile;
  alarms: AlarmFactory;
}

/** Layer 3: the alarms of the operations docs for the service's Lambda functions, APIs and DLQs. */
export class ServiceMonitoring extends Construct {
  readonly alarms: cw.Alarm[];

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    this.alarms = buildServiceAlarmSpecs(props.resources, props.profile).map((spec) =>
      props.alarms.fromSpec(spec, 'service'),
    );
  }
}
