import { createLogUpdate } from 'log-update';
import type { TimelineRecord } from '../core/events.ts';
import { formatClockTime, formatEvent } from './format-event.ts';
import type { Reporter } from './reporter.ts';

export interface ProgressReporterOptions {
  /** Where to write (stderr in the CLI, so stdout stays machine-readable). */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Live single line; default: the stream is a TTY and `CI` is not `true`. */
  live?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Progress while a run goes: on a TTY a live line (stage, elapsed, latest event) redrawn in place,
 * with stage ends and failures kept above it; elsewhere plain timestamped lines.
 */
export function createProgressReporter(options: ProgressReporterOptions): Reporter {
  const env = options.env ?? process.env;
  const live = options.live ?? (options.stream.isTTY === true && env.CI !== 'true');
  if (!live) {
    return {
      name: 'progress',
      onEvent(record) {
        const line = formatEvent(record);
        if (line) options.stream.write(`[${formatClockTime(record.at)}] ${line}\n`);
      },
    };
  }

  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  const log = createLogUpdate(options.stream as NodeJS.WriteStream);
  let frame = 0;
  let stage = 'starting';
  let last = '';
  let started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    frame = (frame + 1) % frames.length;
    const elapsed = ((performance.now() - started) / 1000).toFixed(1);
    log(`${frames[frame]} ${stage} · ${elapsed}s · ${last}`);
  };
  const persist = (line: string) => {
    log.clear();
    options.stream.write(`${line}\n`);
    draw();
  };
  return {
    name: 'progress',
    onBegin() {
      started = performance.now();
      timer = setInterval(draw, 120);
      timer.unref();
    },
    onEvent(record: TimelineRecord) {
      const line = formatEvent(record);
      if (record.type === 'stage.start') stage = record.stage;
      if (!line) return;
      last = line;
      const keep =
        record.type === 'stage.end' ||
        (record.type === 'check' && record.status !== 'passed') ||
        (record.type === 'progress' && record.level === 'warn') ||
        record.type === 'target.start' ||
        record.type === 'fault.start' ||
        record.type === 'alarm.state';
      if (keep) persist(line);
      else draw();
    },
    onEnd() {
      if (timer) clearInterval(timer);
      log.clear();
      log.done();
      return {};
    },
  };
}
