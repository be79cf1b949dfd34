/**
 * Errors and exit codes shared by every openclaw package.
 *
 * An error carries a machine code (`approvals_file_invalid`), a human reason and, where one exists,
 * a hint saying what fixes it. The CLI layer prints `error: <reason>` and `hint: <hint>`.
 */

/** The exit-code table of the CLI (docs/exit-codes.md). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  checkFailed: 3,
  askHuman: 4,
  sizeCapExceeded: 6,
  denied: 77,
  timedOut: 124,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorInfo {
  code: string;
  reason: string;
  hint?: string;
}

export class OpenclawError extends Error implements ErrorInfo {
  readonly code: string;
  readonly reason: string;
  readonly hint?: string;
  readonly exitCode: number;
  readonly details?: unknown;

  constructor(info: ErrorInfo & { exitCode?: number; details?: unknown; cause?: unknown }) {
    super(info.reason, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'OpenclawError';
    this.code = info.code;
    this.reason = info.reason;
    if (info.hint !== undefined) this.hint = info.hint;
    this.exitCode = info.exitCode ?? ExitCode.failure;
    this.details = info.details;
  }

  toJSON(): ErrorInfo & { details?: unknown } {
    return {
      code: this.code,
      reason: this.reason,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** A usage error: bad flags or arguments (exit 2). */
export function usageError(reason: string, hint?: string): OpenclawError {
  return new OpenclawError({ code: 'usage', reason, ...(hint ? { hint } : {}), exitCode: ExitCode.usage });
}
