// The FIS guardian: a tiny process started next to every FIS experiment opsproof runs, so the
// experiment never outlives the controller — not even after kill -9, which no handler in the
// controller can catch. The same design as runner/target-guardian.js.
//
// The controller (chaos/start-fis-guardian.ts) talks to it over an IPC channel:
//   { type: 'arm', experiment, templateId, startTag, region, endpoint?, credentials?, logFile? }
//                                     sent before StartExperiment; `startTag` ([key, value]) is a tag
//                                     unique to this start, so the experiment can be found even when
//                                     the controller died before it learnt the experiment's id
//   { type: 'watch', experimentId }   StartExperiment answered
//   { type: 'credentials', credentials } the controller's credentials were refreshed
//   { type: 'done' }                  the experiment ended (or the controller asked FIS to stop it):
//                                     exit without touching it
//   { type: 'stop' }                  the controller stopped following it: stop it now, then exit
// It answers `{ type: 'ready' }` once it listens. When the channel disconnects without `done` (the
// controller died by any means) it calls StopExperiment — retried with backoff for at most
// STOP_BUDGET_MS — appends one JSON line to `logFile` (the run directory's fis-guardian.log) and exits.
//
// Plain JavaScript, so it starts in tens of milliseconds; the AWS SDK is imported only when there is
// something to stop. Credentials arrive over the channel or come from the environment it inherited;
// they are never written anywhere.

import { appendFileSync } from 'node:fs';

const STOP_BUDGET_MS = 30_000;
const CALL_TIMEOUT_MS = 5_000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4_000;
/** States in which the experiment no longer injects anything (`stopping` is on its way out). */
const ENDED = new Set(['stopping', 'stopped', 'completed', 'failed', 'cancelled']);

/** What the controller told us; undefined until `arm`. */
let armed;
let experimentId;
let acting = false;

function log(entry) {
  if (!armed?.logFile) return;
  try {
    appendFileSync(
      armed.logFile,
      `${JSON.stringify({
        time: new Date().toISOString(),
        experiment: armed.experiment,
        ...(experimentId ? { experimentId } : {}),
        ...entry,
      })}\n`,
    );
  } catch {
    // The run directory is gone: nothing else to report to.
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Usable until a minute before they expire; afterwards the SDK's own chain (inherited environment). */
function freshCredentials(credentials) {
  if (!credentials?.accessKeyId || !credentials.secretAccessKey) return undefined;
  const expiration = credentials.expiration ? new Date(credentials.expiration) : undefined;
  if (expiration && expiration.getTime() - Date.now() < 60_000) return undefined;
  return {
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    ...(expiration ? { expiration } : {}),
  };
}

/** The experiment started with our tag, when the controller died before it learnt its id. */
async function findByTag(fis, sdk, deadline) {
  const [key, value] = armed.startTag;
  let nextToken;
  do {
    const page = await fis.send(new sdk.ListExperimentsCommand({ maxResults: 100, nextToken }), {
      abortSignal: AbortSignal.timeout(Math.max(1, Math.min(CALL_TIMEOUT_MS, deadline - Date.now()))),
    });
    const found = page.experiments?.find((e) => e.tags?.[key] === value);
    if (found?.id) return found.id;
    nextToken = page.nextToken;
  } while (nextToken && Date.now() < deadline);
  return undefined;
}

async function stopAndExit(why) {
  if (acting) return;
  acting = true;
  if (!armed) process.exit(0); // Nothing was started.
  const deadline = Date.now() + STOP_BUDGET_MS;
  let sdk;
  try {
    sdk = await import('@aws-sdk/client-fis');
  } catch (error) {
    log({ outcome: 'failed', reason: why, error: `could not load @aws-sdk/client-fis: ${error}` });
    process.exit(1);
  }
  const credentials = freshCredentials(armed.credentials);
  const fis = new sdk.FisClient({
    region: armed.region,
    ...(armed.endpoint ? { endpoint: armed.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    // Retries are ours (below), bounded by the budget.
    maxAttempts: 1,
  });
  const call = (command) =>
    fis.send(command, {
      abortSignal: AbortSignal.timeout(Math.max(1, Math.min(CALL_TIMEOUT_MS, deadline - Date.now()))),
    });
  let attempts = 0;
  let backoff = FIRST_BACKOFF_MS;
  let lastError;
  for (;;) {
    attempts++;
    try {
      experimentId ??= await findByTag(fis, sdk, deadline);
      if (!experimentId) {
        log({ outcome: 'nothing started', reason: why, attempts });
        process.exit(0);
      }
      const stopped = await call(new sdk.StopExperimentCommand({ id: experimentId }));
      log({ outcome: 'stopped', reason: why, attempts, state: stopped.experiment?.state?.status });
      process.exit(0);
    } catch (error) {
      lastError = error;
      if (error?.name === 'ResourceNotFoundException') {
        log({ outcome: 'not found', reason: why, attempts });
        process.exit(0);
      }
    }
    // StopExperiment refused: maybe because the experiment ended on its own.
    if (experimentId) {
      try {
        const status = (await call(new sdk.GetExperimentCommand({ id: experimentId }))).experiment?.state
          ?.status;
        if (ENDED.has(status)) {
          log({ outcome: `already ${status}`, reason: why, attempts });
          process.exit(0);
        }
      } catch {
        // Retry the stop.
      }
    }
    if (Date.now() + backoff >= deadline) break;
    await sleep(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
  log({
    outcome: 'gave up',
    reason: why,
    attempts,
    error: `${lastError?.name ?? 'Error'}: ${lastError?.message ?? lastError}`,
  });
  process.exit(1);
}

process.on('message', (message) => {
  if (!message || typeof message !== 'object' || acting) return;
  switch (message.type) {
    case 'arm':
      armed = {
        experiment: String(message.experiment ?? ''),
        templateId: String(message.templateId ?? ''),
        startTag: Array.isArray(message.startTag) ? message.startTag.map(String) : ['', ''],
        region: String(message.region ?? ''),
        endpoint: typeof message.endpoint === 'string' ? message.endpoint : undefined,
        credentials: message.credentials,
        logFile: typeof message.logFile === 'string' ? message.logFile : undefined,
      };
      break;
    case 'watch':
      if (typeof message.experimentId === 'string') experimentId = message.experimentId;
      break;
    case 'credentials':
      if (armed) armed.credentials = message.credentials;
      break;
    case 'done':
      process.exit(0);
      break;
    case 'stop':
      void stopAndExit('the controller stopped following the experiment');
      break;
  }
});
process.on('disconnect', () => void stopAndExit('the controller is gone'));
// Started in its own process group, so a terminal's Ctrl-C never reaches it; should a signal reach it
// anyway, stop the experiment rather than leave it without a guardian.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => void stopAndExit(`the guardian got ${signal}`));
}
if (process.connected) {
  process.send({ type: 'ready' }, () => {
    // The controller may be gone already: 'disconnect' follows.
  });
} else {
  // The controller died before this process started listening: it never got to arm us.
  process.exit(0);
}
