/**
 * Nix's machine-readable log (`--log-format internal-json`) read into the
 * state that the progress line and the failure summary are rendered from.
 * Pure: `applyLogLine(state, line)` returns a new state, nothing is printed.
 *
 * Each stderr line Nix writes is either `@nix {json}` or plain text (Nix
 * itself writes only JSON in this mode; wrappers and hooks may not). The
 * numbers below are libutil/logging.hh's, checked against what Nix 2.8 wrote
 * in __fixtures__/*.log (record.sh).
 */

/** `ActivityType` in libutil/logging.hh. */
export const ActivityType = {
  Unknown: 0,
  /** fields: [storePath, fromStoreUri, toStoreUri]; progress in NAR bytes. */
  CopyPath: 100,
  /** fields: [uri]; progress in bytes (narinfo, NAR, nix-cache-info). */
  FileTransfer: 101,
  /** The whole realisation; carries SetExpected results for FileTransfer / CopyPath bytes. */
  Realise: 102,
  /** Substitutions: progress [done, expected, running, failed] in store paths. */
  CopyPaths: 103,
  /** Builds: progress [done, expected, running, failed] in derivations. */
  Builds: 104,
  /** One derivation: fields [drvPath, machine, curRound, nrRounds]; its log lines are results. */
  Build: 105,
  OptimiseStore: 106,
  VerifyPaths: 107,
  /** One substitution: fields [storePath, substituterUri]. */
  Substitute: 108,
  QueryPathInfo: 109,
  PostBuildHook: 110,
  BuildWaiting: 111,
} as const;

/** `ResultType` in libutil/logging.hh. */
export const ResultType = {
  FileLinked: 100,
  /** fields: [line] */
  BuildLogLine: 101,
  UntrustedPath: 102,
  CorruptedPath: 103,
  /** fields: [phase], from stdenv's `@nix {"action":"setPhase"}` on NIX_LOG_FD. */
  SetPhase: 104,
  /** fields: [done, expected, running, failed] */
  Progress: 105,
  /** fields: [activityType, expected] */
  SetExpected: 106,
  /** fields: [line] */
  PostBuildLogLine: 107,
} as const;

/** `Verbosity`: a message's level. */
export const Verbosity = {
  Error: 0,
  Warn: 1,
  Notice: 2,
  Info: 3,
  Talkative: 4,
  Chatty: 5,
  Debug: 6,
  Vomit: 7,
} as const;

/** Lines of a derivation's log kept for the failure summary. */
export const LOG_TAIL_LINES = 30;
/** Logs of finished builds kept until Nix says whether they failed (its error comes after the build stops). */
export const FINISHED_LOGS_KEPT = 64;

export type Field = string | number;

/** One stderr line of Nix, parsed. Activity ids are strings: they are 64-bit and exceed 2^53 for pids above 2^21. */
export type LogEvent =
  | { action: 'start'; id: string; type: number; level: number; text: string; fields: Field[] }
  | { action: 'stop'; id: string }
  | { action: 'result'; id: string; type: number; fields: Field[] }
  | { action: 'msg'; level: number; text: string; position?: SourcePosition }
  /** A line that is not `@nix {…}`: shown as it is. */
  | { action: 'text'; text: string };

export interface SourcePosition {
  file: string;
  line: number;
  column?: number;
}

export interface Counter {
  done: number;
  expected: number;
  running: number;
  failed: number;
}

export interface NixError {
  /** The message as Nix formats it, without colours: `error: …` and its code frame. */
  text: string;
  /** Where an evaluation error is, when Nix says. */
  position?: SourcePosition;
  /** The derivation whose builder failed (`builder for '…' failed`). */
  failedDerivation?: string;
}

export interface OpenActivity {
  type: number;
  /** Build: the derivation; Substitute / CopyPath: the store path; FileTransfer: the URI. */
  path?: string;
  phase?: string;
  progress?: Counter;
  /** SetExpected on a Realise activity: activity type → expected bytes. */
  expected?: Readonly<Record<number, number>>;
}

export interface BuildProgress {
  /** Activities Nix started and has not stopped yet, by id. */
  readonly activities: Readonly<Record<string, OpenActivity>>;
  /** Counters of Builds / CopyPaths activities that stopped (a build may run several, e.g. for import-from-derivation). */
  readonly finishedBuilds: Counter;
  readonly finishedCopies: Counter;
  /** Bytes of file transfers that finished (NARs and sources; not cache metadata). */
  readonly downloadedBytes: number;
  /** Expected download bytes of Realise activities that stopped. */
  readonly finishedExpectedDownloadBytes: number;
  /** Whether Nix started realising anything (before that it evaluates). */
  readonly realising: boolean;
  /** Last lines of each derivation's log: running builds and recently finished ones. */
  readonly logs: Readonly<Record<string, readonly string[]>>;
  /** Finished builds whose logs are still kept, oldest first. */
  readonly finishedLogOrder: readonly string[];
  /** How many builds and substitutions have stopped (a CI log gets a line when this grows). */
  readonly finishedSteps: number;
  readonly errors: readonly NixError[];
  /** The last lines that were not Nix JSON (a wrapper's or hook's output). */
  readonly textTail: readonly string[];
  readonly interrupted: boolean;
}

const ZERO: Counter = { done: 0, expected: 0, running: 0, failed: 0 };

export function initialProgress(): BuildProgress {
  return {
    activities: {},
    finishedBuilds: ZERO,
    finishedCopies: ZERO,
    downloadedBytes: 0,
    finishedExpectedDownloadBytes: 0,
    realising: false,
    logs: {},
    finishedLogOrder: [],
    finishedSteps: 0,
    errors: [],
    textTail: [],
    interrupted: false,
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

const DRV = /\/nix\/store\/[0-9a-z]{32}-[^\s'"`]+?\.drv/;

/** `/nix/store/<hash>-nixos.iso.drv` → `nixos.iso`; other store paths lose only the hash. */
export function derivationName(path: string): string {
  return path.replace(/^\/nix\/store\/[0-9a-z]{32}-/, '').replace(/\.drv$/, '');
}

function asNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function asFields(value: unknown): Field[] {
  return Array.isArray(value) ? value.filter((f): f is Field => typeof f === 'string' || typeof f === 'number') : [];
}

/** Parses one line of Nix's stderr. Never throws: what is not valid `@nix` JSON is text. */
export function parseLogLine(line: string): LogEvent {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (!text.startsWith('@nix {')) return { action: 'text', text };
  let json: Record<string, unknown>;
  try {
    // Ids are unsigned 64-bit (pid << 32 | counter): keep them exact as strings.
    json = JSON.parse(text.slice(5).replace(/"(id|parent)":(\d+)/g, '"$1":"$2"')) as Record<string, unknown>;
  } catch {
    return { action: 'text', text };
  }
  const id = typeof json.id === 'string' ? json.id : '';
  switch (json.action) {
    case 'start':
      return {
        action: 'start',
        id,
        type: asNumber(json.type),
        level: asNumber(json.level),
        text: typeof json.text === 'string' ? json.text : '',
        fields: asFields(json.fields),
      };
    case 'stop':
      return { action: 'stop', id };
    case 'result':
      return { action: 'result', id, type: asNumber(json.type), fields: asFields(json.fields) };
    case 'msg': {
      const position =
        typeof json.file === 'string' && typeof json.line === 'number'
          ? { file: json.file, line: json.line, ...(typeof json.column === 'number' ? { column: json.column } : {}) }
          : undefined;
      return { action: 'msg', level: asNumber(json.level), text: stripAnsi(String(json.msg ?? '')), ...(position ? { position } : {}) };
    }
    default:
      return { action: 'text', text };
  }
}

function counterOf(fields: Field[]): Counter {
  const [done, expected, running, failed] = fields.map(asNumber);
  return { done: done ?? 0, expected: expected ?? 0, running: running ?? 0, failed: failed ?? 0 };
}

function addCounters(a: Counter, b: Counter): Counter {
  return { done: a.done + b.done, expected: a.expected + b.expected, running: a.running + b.running, failed: a.failed + b.failed };
}

function pushTail<T>(tail: readonly T[], item: T, max: number): T[] {
  return tail.length >= max ? [...tail.slice(tail.length - max + 1), item] : [...tail, item];
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}

function applyStart(state: BuildProgress, e: Extract<LogEvent, { action: 'start' }>): BuildProgress {
  const path = typeof e.fields[0] === 'string' && e.fields[0] ? e.fields[0] : undefined;
  const activity: OpenActivity = { type: e.type, ...(path ? { path } : {}) };
  const realising =
    state.realising || e.type === ActivityType.Realise || e.type === ActivityType.Builds || e.type === ActivityType.CopyPaths;
  const next = { ...state, realising, activities: { ...state.activities, [e.id]: activity } };
  if (e.type === ActivityType.Build && path) {
    // A derivation built again (e.g. after a failed attempt in the same run) starts with a fresh log.
    return {
      ...next,
      logs: { ...state.logs, [path]: [] },
      finishedLogOrder: state.finishedLogOrder.filter((p) => p !== path),
    };
  }
  return next;
}

/** NARs and fetched sources, not the `.narinfo` / `nix-cache-info` lookups Nix makes before it knows what to fetch. */
function isPayloadTransfer(activity: OpenActivity): boolean {
  return !/(\.narinfo|\/nix-cache-info|\.ls)$/.test(activity.path ?? '');
}

function applyStop(state: BuildProgress, id: string): BuildProgress {
  const activity = state.activities[id];
  if (!activity) return state;
  const next: BuildProgress = { ...state, activities: without(state.activities, id) };
  switch (activity.type) {
    case ActivityType.Builds:
      return { ...next, finishedBuilds: addCounters(state.finishedBuilds, { ...(activity.progress ?? ZERO), running: 0 }) };
    case ActivityType.CopyPaths:
      return { ...next, finishedCopies: addCounters(state.finishedCopies, { ...(activity.progress ?? ZERO), running: 0 }) };
    case ActivityType.FileTransfer:
      return isPayloadTransfer(activity) ? { ...next, downloadedBytes: state.downloadedBytes + (activity.progress?.done ?? 0) } : next;
    case ActivityType.Realise:
      return {
        ...next,
        finishedExpectedDownloadBytes:
          state.finishedExpectedDownloadBytes + (activity.expected?.[ActivityType.FileTransfer] ?? 0),
      };
    case ActivityType.Substitute:
      return { ...next, finishedSteps: state.finishedSteps + 1 };
    case ActivityType.Build: {
      if (!activity.path) return { ...next, finishedSteps: state.finishedSteps + 1 };
      let order = [...state.finishedLogOrder, activity.path];
      let logs = state.logs;
      while (order.length > FINISHED_LOGS_KEPT) {
        logs = without(logs, order[0]);
        order = order.slice(1);
      }
      return { ...next, logs, finishedLogOrder: order, finishedSteps: state.finishedSteps + 1 };
    }
    default:
      return next;
  }
}

function applyResult(state: BuildProgress, e: Extract<LogEvent, { action: 'result' }>): BuildProgress {
  const activity = state.activities[e.id];
  if (!activity) return state;
  const update = (changed: Partial<OpenActivity>): BuildProgress => ({
    ...state,
    activities: { ...state.activities, [e.id]: { ...activity, ...changed } },
  });
  switch (e.type) {
    case ResultType.BuildLogLine:
    case ResultType.PostBuildLogLine: {
      if (!activity.path) return state;
      const line = stripAnsi(String(e.fields[0] ?? ''));
      return { ...state, logs: { ...state.logs, [activity.path]: pushTail(state.logs[activity.path] ?? [], line, LOG_TAIL_LINES) } };
    }
    case ResultType.SetPhase:
      return update({ phase: String(e.fields[0] ?? '') });
    case ResultType.Progress:
      return update({ progress: counterOf(e.fields) });
    case ResultType.SetExpected:
      return update({ expected: { ...activity.expected, [asNumber(e.fields[0])]: asNumber(e.fields[1]) } });
    default:
      return state;
  }
}

const ERROR_START = /^error:/;
/** Level-0 lines that belong to the error before them, e.g. `(use '--show-trace' …)`. */
const ERROR_HINT = /^\(use '--show-trace'/;

function applyMsg(state: BuildProgress, e: Extract<LogEvent, { action: 'msg' }>): BuildProgress {
  if (e.level !== Verbosity.Error) return state;
  if (ERROR_START.test(e.text)) {
    const builder = /builder for '([^']+)' failed/.exec(e.text) ?? /Cannot build '([^']+)'/.exec(e.text);
    const drv = builder ? DRV.exec(builder[1])?.[0] : undefined;
    const error: NixError = {
      text: e.text,
      ...(e.position ? { position: e.position } : {}),
      ...(drv ? { failedDerivation: drv } : {}),
    };
    return { ...state, errors: [...state.errors, error], interrupted: state.interrupted || /^error: interrupted by the user/.test(e.text) };
  }
  const last = state.errors[state.errors.length - 1];
  if (last && ERROR_HINT.test(e.text)) {
    return { ...state, errors: [...state.errors.slice(0, -1), { ...last, text: `${last.text}\n${e.text}` }] };
  }
  return state;
}

export function applyLogEvent(state: BuildProgress, event: LogEvent): BuildProgress {
  switch (event.action) {
    case 'start':
      return applyStart(state, event);
    case 'stop':
      return applyStop(state, event.id);
    case 'result':
      return applyResult(state, event);
    case 'msg':
      return applyMsg(state, event);
    case 'text':
      return event.text === '' ? state : { ...state, textTail: pushTail(state.textTail, event.text, LOG_TAIL_LINES) };
  }
}

/** The reducer: one stderr line of Nix into the next state. */
export function applyLogLine(state: BuildProgress, line: string): BuildProgress {
  return applyLogEvent(state, parseLogLine(line));
}

/** Folds a whole recorded log. */
export function readLog(text: string, state: BuildProgress = initialProgress()): BuildProgress {
  return text.split('\n').reduce(applyLogLine, state);
}

// --- Derived views: what renderers ask of a state.

function openCounters(state: BuildProgress, type: number): Counter {
  let total = ZERO;
  for (const a of Object.values(state.activities)) if (a.type === type && a.progress) total = addCounters(total, a.progress);
  return total;
}

/** Derivations: done / expected / running / failed, over every Builds activity so far. */
export function buildCounts(state: BuildProgress): Counter {
  return addCounters(state.finishedBuilds, openCounters(state, ActivityType.Builds));
}

/** Store paths substituted (downloaded from a binary cache): done / expected / running / failed. */
export function substitutionCounts(state: BuildProgress): Counter {
  return addCounters(state.finishedCopies, openCounters(state, ActivityType.CopyPaths));
}

export interface DownloadBytes {
  done: number;
  /** Compressed download size Nix announced; 0 when unknown. */
  expected: number;
}

export function downloadBytes(state: BuildProgress): DownloadBytes {
  let done = state.downloadedBytes;
  let expected = state.finishedExpectedDownloadBytes;
  for (const a of Object.values(state.activities)) {
    if (a.type === ActivityType.FileTransfer && isPayloadTransfer(a)) done += a.progress?.done ?? 0;
    if (a.type === ActivityType.Realise) expected += a.expected?.[ActivityType.FileTransfer] ?? 0;
  }
  return { done, expected };
}

export interface RunningBuild {
  drvPath: string;
  name: string;
  phase?: string;
}

/** Derivations being built now, in the order they started. */
export function runningBuilds(state: BuildProgress): RunningBuild[] {
  return Object.values(state.activities)
    .filter((a) => a.type === ActivityType.Build && a.path)
    .map((a) => ({ drvPath: a.path as string, name: derivationName(a.path as string), ...(a.phase ? { phase: a.phase } : {}) }));
}

/** Derivations whose builder failed, in the order Nix reported them. */
export function failedDerivations(state: BuildProgress): string[] {
  const seen = new Set<string>();
  for (const e of state.errors) if (e.failedDerivation) seen.add(e.failedDerivation);
  return [...seen];
}

/** The last lines of a derivation's log, when still kept. */
export function logTail(state: BuildProgress, drvPath: string): readonly string[] {
  return state.logs[drvPath] ?? [];
}

/** The build's messages as Nix would have printed them without `--log-format internal-json`. */
export function plainErrorText(state: BuildProgress): string {
  return [...state.textTail, ...state.errors.map((e) => e.text)].join('\n');
}
