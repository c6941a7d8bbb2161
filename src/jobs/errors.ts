import { HearthError } from '../core/index.js';

export type JobErrorCode = 'JOB_INVALID_NAME' | 'JOB_DEFINED_TWICE' | 'JOB_UNKNOWN' | 'JOB_DEFINED_LATE' | 'WORKERS_NEED_POSTGRES';

/** A mistake in how jobs or worker processes are set up (always the operator's or a plugin's, never a person's). */
export class JobError extends HearthError<JobErrorCode> {}
