/**
 * The FIS engine: create or update the template, start the experiment, tell the guardian, poll it,
 * watch stop conditions, stop it on abort, and turn it all into a journal. One file, over 400 lines,
 * because every step shares one experiment's state and the order of its cleanup (a started experiment
 * must never be left without its guardian or its stop).
 */

import {
  CreateExperimentTemplateCommand,
  FisClient,
  type Experiment as FisExperiment,
  GetExperimentCommand,
  ListExperimentResolvedTargetsCommand,
  ListExperimentTemplatesCommand,
  StartExperimentCommand,
  StopExperimentCommand,
  UpdateExperimentTemplateCommand,
} from '@aws-sdk/client-fis';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Clock, systemClock } from '../core/clock.ts';
import { describeError, EnvironmentError } from '../core/errors.ts';
import type { ActivityRecord, ExperimentJournal, JournalStatus, ResolvedTarget } from '../core/run-result.ts';
import type { Experiment } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import {
  allowsEmptyTargets,
  buildFisTemplateInput,
  EXPERIMENT_TAG,
  SERVICE_TAG,
} from './build-fis-template.ts';
import { openJournal } from './experiment-journal.ts';
import { alarmNameFromArn } from './fis-catalog.ts';
import {
  type FisGuardian,
  type GuardianCredentials,
  readGuardianConnection,
  readGuardianCredentials,
  START_TAG,
  startFisGuardian,
} from './start-fis-guardian.ts';
import { validateExperiment } from './validate-experiment.ts';

export interface FisExperimentOptions {
  service: string;
  region: string;
  /** Looked up with STS GetCallerIdentity when absent. */
  accountId?: string;
  alarmPrefix?: string;
  timeline: Timeline;
  signal: AbortSignal;
  clock?: Clock;
  /** `--dry-run`: start with `actionsMode: skip-all` (FIS's preview: targets resolve, nothing is injected). */
  dryRun?: boolean;
  /** GetExperiment polling interval. @defaultValue 2000 */
  pollMs?: number;
  /** Longest wait for a stopped experiment to settle after Ctrl-C. @defaultValue 60_000 */
  stopTimeoutMs?: number;
  /** Injected clients (tests); default clients use the SDK's credential and endpoint chain. */
  fis?: FisClient;
  sts?: STSClient;
  /**
   * File the FIS guardian appends one JSON line to when it acts because this process is gone (or
   * stopped following the experiment): the run directory's `fis-guardian.log`.
   */
  guardianLog?: string;
  /** The FIS guardian program (tests). @defaultValue chaos/fis-guardian.js */
  guardianScript?: string;
}

/** One experiment's guardian, from its start (beside the template calls) to `done` or `stop`. */
interface GuardianSlot {
  started: Promise<FisGuardian | Error>;
  /** Told about an experiment (sent before StartExperiment). */
  armed: boolean;
  /** The engine followed the experiment to its end, or asked FIS to stop it. */
  ended: boolean;
  /** The experiment's id once FIS answered, for the warning when the guardian is lost. */
  experimentId?: string;
}

/**
 * Adds fields to a command's JSON body before the request is signed: StartExperiment's
 * `experimentOptions.actionsMode` (FIS's preview, `skip-all`) and the templates'
 * `experimentReportConfiguration` are newer than the newest @aws-sdk/client-fis on npm for us (3.523),
 * whose serializers drop them.
 */
function addBodyFields(
  command: StartExperimentCommand | CreateExperimentTemplateCommand | UpdateExperimentTemplateCommand,
  add: (body: Record<string, unknown>) => void,
): void {
  // The middleware only touches the serialized request, the same for every command.
  (command.middlewareStack as StartExperimentCommand['middlewareStack']).add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      if (typeof request.body === 'string') {
        const body = JSON.parse(request.body) as Record<string, unknown>;
        add(body);
        request.body = JSON.stringify(body);
        if (request.headers)
          request.headers['content-length'] = String(Buffer.byteLength(request.body as string));
      }
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'opsproofBodyFields' },
  );
}

function addActionsMode(command: StartExperimentCommand, actionsMode: 'skip-all' | 'run-all'): void {
  addBodyFields(command, (body) => {
    body.experimentOptions = { ...(body.experimentOptions as object | undefined), actionsMode };
  });
}

const TERMINAL = new Set(['completed', 'stopped', 'failed', 'cancelled']);

function awsError(what: string, error: unknown): EnvironmentError {
  const name = (error as { name?: string }).name ?? '';
  const credentials = /Credential|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|AccessDenied/.test(
    name,
  );
  return new EnvironmentError(credentials ? 'credentials' : 'aws-api', `${what}: ${describeError(error)}`, {
    cause: error,
    ...(credentials
      ? { hint: 'check AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID …) and the role FIS assumes' }
      : {}),
  });
}

/**
 * Runs an experiment as an AWS FIS experiment: creates or updates its template (found by tag), starts
 * it (or previews it with `actionsMode: skip-all`), follows its state and its actions' states onto the
 * Timeline, stops it on Ctrl-C / SIGTERM, and maps the end state to the journal: completed →
 * completed, stopped by a stop condition → aborted, stopped by us → interrupted, failed / cancelled →
 * failed / aborted. A template whose targets resolve to nothing fails unless `allowEmptyTargets`.
 * AWS API failures before the experiment starts throw {@link EnvironmentError} (exit 3).
 *
 * Unless it is a preview (which injects nothing), a guardian process (`fis-guardian.js`) watches the
 * experiment: should this process die without following it to its end — kill -9 included — the
 * guardian stops it. A guardian that cannot start is a warning on the Timeline, not an error.
 */
export async function runFisExperiment(
  name: string,
  experiment: Experiment,
  options: FisExperimentOptions,
): Promise<ExperimentJournal> {
  if (options.dryRun) return startAndFollow(name, experiment, options, undefined);
  const slot: GuardianSlot = {
    started: startFisGuardian({
      ...(options.guardianScript ? { script: options.guardianScript } : {}),
      onLostGuardian: (how) =>
        options.timeline.emit({
          type: 'progress',
          level: 'warn',
          message: `the FIS guardian of ${name} ${how}: should opsproof be killed now (kill -9), FIS experiment ${slot.experimentId ?? name} runs on until FIS ends it`,
        }),
    }).catch((error: unknown) => (error instanceof Error ? error : new Error(describeError(error)))),
    armed: false,
    ended: false,
  };
  try {
    return await startAndFollow(name, experiment, options, slot);
  } finally {
    // Followed to its end (or never started): the guardian just exits. Otherwise — this engine threw
    // while the experiment may run — the guardian stops it.
    void slot.started.then((guardian) => {
      if (guardian instanceof Error) return;
      if (slot.ended || !slot.armed) guardian.done();
      else guardian.stop();
    });
  }
}

/** Waits for the guardian, then tells it what is about to start; a warning when there is none. */
async function armGuardian(
  slot: GuardianSlot,
  fis: FisClient,
  arm: { experiment: string; templateId: string; startTag: [string, string]; logFile?: string },
  timeline: Timeline,
): Promise<FisGuardian | undefined> {
  const guardian = await slot.started;
  const warn = (problem: string) =>
    timeline.emit({
      type: 'progress',
      level: 'warn',
      message: `the FIS guardian of ${arm.experiment} ${problem}: should opsproof be killed (kill -9), the FIS experiment runs on until FIS ends it`,
    });
  if (guardian instanceof Error) {
    warn(`did not start (${guardian.message})`);
    return undefined;
  }
  try {
    guardian.arm({ ...arm, ...(await readGuardianConnection(fis)) });
  } catch (error) {
    guardian.done();
    warn(`could not be told how to reach FIS (${describeError(error)})`);
    return undefined;
  }
  slot.armed = true;
  return guardian;
}

async function startAndFollow(
  name: string,
  experiment: Experiment,
  options: FisExperimentOptions,
  slot: GuardianSlot | undefined,
): Promise<ExperimentJournal> {
  const clock = options.clock ?? systemClock;
  const { timeline } = options;
  const dryRun = options.dryRun ?? false;
  const diagnostics = validateExperiment(name, experiment, { engine: 'fis' });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  // What FIS may refuse (a duration below its documented bound, a former action id) is said first.
  if (errors.length === 0)
    for (const d of diagnostics)
      timeline.emit({ type: 'progress', level: 'warn', message: `${d.path}: ${d.message}` });
  if (errors.length > 0)
    throw new EnvironmentError(
      'other',
      `experiment ${name} is not valid: ${errors.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
    );
  const fis = options.fis ?? new FisClient({ region: options.region });
  let accountId = options.accountId;
  if (!accountId) {
    try {
      const sts = options.sts ?? new STSClient({ region: options.region });
      accountId = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    } catch (error) {
      throw awsError('could not read the AWS account (STS GetCallerIdentity)', error);
    }
    if (!accountId) throw new EnvironmentError('credentials', 'STS returned no account id');
  }
  const input = buildFisTemplateInput(name, experiment, {
    service: options.service,
    region: options.region,
    accountId,
    ...(options.alarmPrefix === undefined ? {} : { alarmPrefix: options.alarmPrefix }),
  });

  const report = experiment.experimentReportConfiguration;

  // Create or update the template (found by its opsproof tags).
  let templateId: string | undefined;
  try {
    let nextToken: string | undefined;
    do {
      const page = await fis.send(new ListExperimentTemplatesCommand({ nextToken }));
      const found = page.experimentTemplates?.find(
        (t) => t.tags?.[EXPERIMENT_TAG] === name && t.tags?.[SERVICE_TAG] === options.service,
      );
      if (found?.id) templateId = found.id;
      nextToken = templateId ? undefined : page.nextToken;
    } while (nextToken);
    if (templateId) {
      // accountTargeting cannot change on update (UpdateExperimentTemplateExperimentOptionsInput).
      const update = new UpdateExperimentTemplateCommand({
        id: templateId,
        description: input.description,
        stopConditions: input.stopConditions,
        targets: input.targets,
        actions: input.actions,
        roleArn: input.roleArn,
        experimentOptions: {
          emptyTargetResolutionMode: input.experimentOptions?.emptyTargetResolutionMode,
        },
        ...(input.logConfiguration ? { logConfiguration: input.logConfiguration } : {}),
      });
      if (report) addBodyFields(update, (body) => (body.experimentReportConfiguration = report));
      await fis.send(update);
    } else {
      const create = new CreateExperimentTemplateCommand({ ...input, clientToken: crypto.randomUUID() });
      if (report) addBodyFields(create, (body) => (body.experimentReportConfiguration = report));
      templateId = (await fis.send(create)).experimentTemplate?.id;
    }
  } catch (error) {
    throw awsError(`could not create or update the FIS template of ${name}`, error);
  }
  if (!templateId) throw new EnvironmentError('aws-api', 'FIS returned no template id');

  const clientToken = crypto.randomUUID();
  const guardian = slot
    ? await armGuardian(
        slot,
        fis,
        {
          experiment: name,
          templateId,
          startTag: [START_TAG, clientToken],
          ...(options.guardianLog ? { logFile: options.guardianLog } : {}),
        },
        timeline,
      )
    : undefined;
  const journal = openJournal(name, 'fis', { timeline, clock, dryRun });
  let started: FisExperiment | undefined;
  try {
    const start = new StartExperimentCommand({
      experimentTemplateId: templateId,
      clientToken,
      tags: { [EXPERIMENT_TAG]: name, [START_TAG]: clientToken },
    });
    if (dryRun) addActionsMode(start, 'skip-all');
    started = (await fis.send(start)).experiment;
  } catch (error) {
    timeline.emit({ type: 'experiment.end', experiment: name, status: 'failed', deviated: false });
    throw awsError(`could not start FIS experiment from template ${templateId}`, error);
  }
  const experimentId = started?.id;
  if (!experimentId) throw new EnvironmentError('aws-api', 'FIS returned no experiment id');
  if (slot) slot.experimentId = experimentId;
  guardian?.watch(experimentId);
  // The SDK refreshes temporary credentials; the guardian gets each new set.
  let sentCredentials: GuardianCredentials | undefined;
  const refreshGuardianCredentials = async () => {
    const credentials = await readGuardianCredentials(fis);
    if (!guardian || !credentials) return;
    if (
      sentCredentials &&
      credentials.accessKeyId === sentCredentials.accessKeyId &&
      credentials.sessionToken === sentCredentials.sessionToken &&
      credentials.expiration?.getTime() === sentCredentials.expiration?.getTime()
    )
      return;
    if (sentCredentials) guardian.credentials(credentials);
    sentCredentials = credentials;
  };
  if (guardian) await refreshGuardianCredentials();

  // Follow: action states onto the timeline; stop on Ctrl-C.
  const actionStatus = new Map<string, string>();
  const activities = new Map<string, ActivityRecord>();
  const where = `fis:${templateId}`;
  const track = (current: FisExperiment) => {
    for (const [action, state] of Object.entries(current.actions ?? {})) {
      const status = state.state?.status ?? 'pending';
      const before = actionStatus.get(action) ?? 'pending';
      if (status === before) continue;
      actionStatus.set(action, status);
      const actionId = state.actionId ?? experiment.actions[action]?.actionId ?? '';
      const faultId = `${experimentId}:${action}`;
      if (before === 'pending' || before === 'initiating') {
        if (
          status !== 'pending' &&
          status !== 'initiating' &&
          status !== 'cancelled' &&
          status !== 'skipped'
        ) {
          timeline.emit({ type: 'action.start', experiment: name, action, actionId });
          timeline.emit({ type: 'fault.start', faultId, spec: actionId, experiment: name, action, where });
          activities.set(action, {
            name: action,
            actionId,
            status: 'succeeded',
            startedAt: (state.startTime ?? clock.wall()).toISOString(),
            endedAt: '',
            durationMs: 0,
          });
        }
      }
      if (['completed', 'stopped', 'failed', 'cancelled', 'skipped'].includes(status)) {
        const record = activities.get(action) ?? {
          name: action,
          actionId,
          status: 'skipped' as const,
          startedAt: clock.wall().toISOString(),
          endedAt: '',
          durationMs: 0,
        };
        record.status =
          status === 'completed'
            ? 'succeeded'
            : status === 'failed'
              ? 'failed'
              : status === 'stopped'
                ? 'stopped'
                : 'skipped';
        const end = state.endTime ?? clock.wall();
        record.endedAt = end.toISOString();
        record.durationMs = Math.max(0, end.getTime() - new Date(record.startedAt).getTime());
        if (state.state?.reason) record.output = state.state.reason;
        if (status === 'failed') record.error = state.state?.reason ?? 'failed';
        activities.set(action, record);
        if (activities.get(action) && before !== 'pending') {
          timeline.emit({
            type: 'fault.end',
            faultId,
            reason: status === 'completed' ? 'completed' : options.signal.aborted ? 'interrupted' : 'stopped',
          });
          timeline.emit({
            type: 'action.end',
            experiment: name,
            action,
            actionId,
            status,
            ...(record.error ? { error: record.error } : {}),
          });
        }
      }
    }
  };

  let current: FisExperiment = started!;
  let stopRequested = false;
  let emptyTargets = false;
  let checkedTargets = false;
  const stopDeadline = () => clock.now() + (options.stopTimeoutMs ?? 60_000);
  let deadline = Number.POSITIVE_INFINITY;
  const requestStop = async () => {
    if (stopRequested) return;
    stopRequested = true;
    deadline = stopDeadline();
    try {
      await fis.send(new StopExperimentCommand({ id: experimentId }));
    } catch {
      // Keep polling: it may have ended on its own.
    }
  };
  let pollError: unknown;
  while (!TERMINAL.has(current.state?.status ?? '')) {
    if (options.signal.aborted) await requestStop();
    if (clock.now() > deadline) break;
    await clock.sleep(options.pollMs ?? 2000, stopRequested ? undefined : options.signal).catch(() => {});
    // Interrupted while waiting: stop first, before another read lets the experiment move on.
    if (options.signal.aborted && !stopRequested) continue;
    try {
      current = (await fis.send(new GetExperimentCommand({ id: experimentId }))).experiment ?? current;
      pollError = undefined;
    } catch (error) {
      pollError = error;
      continue;
    }
    track(current);
    if (guardian) await refreshGuardianCredentials();
    const status = current.state?.status ?? '';
    if (
      !checkedTargets &&
      !dryRun &&
      status !== 'pending' &&
      status !== 'initiating' &&
      Object.keys(experiment.targets).length > 0
    ) {
      checkedTargets = true;
      try {
        const resolved = await fis.send(new ListExperimentResolvedTargetsCommand({ experimentId }));
        if ((resolved.resolvedTargets ?? []).length === 0 && !allowsEmptyTargets(experiment)) {
          emptyTargets = true;
          await requestStop();
        }
      } catch {
        // Not every FIS endpoint lists resolved targets; FIS's own emptyTargetResolutionMode still applies.
      }
    }
  }
  track(current);
  // Ended, or FIS was asked to stop it (and the stop deadline passed): the guardian's job is done.
  if (slot) slot.ended = true;
  const resolvedTargets = dryRun ? await listResolvedTargets(fis, experimentId, name, timeline) : undefined;

  const fisStatus: string = current.state?.status ?? 'unknown';
  const reason = current.state?.reason ?? '';
  let status: JournalStatus;
  let stoppedBy: string | undefined;
  let error: string | undefined;
  if (emptyTargets) {
    status = 'failed';
    error = `the targets of ${name} resolved to nothing (set allowEmptyTargets to allow it)`;
  } else if (options.signal.aborted) {
    status = 'interrupted';
    error = TERMINAL.has(fisStatus)
      ? describeError(options.signal.reason)
      : `interrupted; FIS experiment ${experimentId} is still ${fisStatus}`;
  } else if (fisStatus === 'completed') {
    status = 'completed';
  } else if (fisStatus === 'stopped') {
    status = 'aborted';
    const alarm =
      /alarm[^:]*:\s*(\S+)/i.exec(reason)?.[1] ?? input.stopConditions?.find((c) => c.value)?.value;
    stoppedBy = alarm ? alarmNameFromArn(alarm) : undefined;
    error = reason || 'stopped by a stop condition';
  } else if (fisStatus === 'cancelled') {
    status = 'aborted';
    error = reason || 'cancelled';
  } else {
    status = 'failed';
    error = reason || (pollError ? describeError(pollError) : `FIS experiment ended ${fisStatus}`);
    if (/target/i.test(reason) && /resolv|empty|no /i.test(reason))
      error = `${reason} (the targets resolved to nothing; set allowEmptyTargets to allow it)`;
  }
  return journal.close(status, [...activities.values()], {
    fisExperimentId: experimentId,
    ...(resolvedTargets === undefined ? {} : { resolvedTargets }),
    ...(stoppedBy === undefined ? {} : { stoppedBy }),
    ...(error === undefined ? {} : { error }),
  });
}

/**
 * What a preview resolved each target to (ListExperimentResolvedTargets, every page), one progress
 * line per resource; a warning, not an error, where the endpoint cannot list them.
 */
async function listResolvedTargets(
  fis: FisClient,
  experimentId: string,
  name: string,
  timeline: Timeline,
): Promise<ResolvedTarget[] | undefined> {
  const out: ResolvedTarget[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await fis.send(new ListExperimentResolvedTargetsCommand({ experimentId, nextToken }));
      for (const t of page.resolvedTargets ?? [])
        out.push({
          targetName: t.targetName ?? '',
          resourceType: t.resourceType ?? '',
          targetInformation: { ...t.targetInformation },
        });
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    timeline.emit({
      type: 'progress',
      level: 'warn',
      message: `dry run of ${name}: FIS could not list the resolved targets (${describeError(error)})`,
    });
    return undefined;
  }
  if (out.length === 0)
    timeline.emit({ type: 'progress', message: `dry run of ${name}: the targets resolved to nothing` });
  for (const t of out)
    timeline.emit({
      type: 'progress',
      message: `dry run of ${name}: target ${t.targetName} (${t.resourceType}) → ${Object.values(t.targetInformation).join(', ') || '(no details)'}`,
    });
  return out;
}
