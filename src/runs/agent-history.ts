import type { Activities } from '../activities/index.js';

// How an agent shows in a run's Temporal history, for everyone who reads agents back from it (the
// stream's facts, the outputs a rerun reuses).

/** The one activity type that runs agents; other activities are not agents. */
export const AGENT_ACTIVITY: keyof Activities = 'runAgent';

/** The marker the SDK records for each local activity's outcome (a local agent's result, among others). */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
