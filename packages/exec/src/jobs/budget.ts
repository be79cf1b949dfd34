/**
 * A job's budget (SPEC §5): runtime (enforced by the worker, which aborts the job and records
 * `timed_out`), output characters and tool calls (counted here; going over fails the job).
 */
import type { Budget } from '@openclaw/policy';

export class BudgetExceeded extends Error {
  constructor(
    readonly resource: 'tool_calls' | 'output_chars',
    readonly used: number,
    readonly limit: number,
  ) {
    super(`budget exceeded: ${resource} ${used} > ${limit}`);
    this.name = 'BudgetExceeded';
  }
}

export interface BudgetLimits {
  maxRuntimeSec: number;
  maxOutputChars: number;
  maxToolCalls: number;
}

export function budgetLimits(budget: Budget, timeoutSec: number): BudgetLimits {
  return {
    maxRuntimeSec: Math.min(timeoutSec, budget.max_runtime_sec ?? timeoutSec),
    maxOutputChars: budget.max_output_chars ?? 200_000,
    maxToolCalls: budget.max_tool_calls ?? 0,
  };
}

export class JobBudget {
  private toolCalls = 0;
  private outputChars = 0;

  constructor(readonly limits: BudgetLimits) {}

  /** Counts one tool call; throws when it is one too many. */
  toolCall(): void {
    this.toolCalls++;
    if (this.toolCalls > this.limits.maxToolCalls) throw new BudgetExceeded('tool_calls', this.toolCalls, this.limits.maxToolCalls);
  }

  /** Counts output kept by the job; throws when over. */
  output(chars: number): void {
    this.outputChars += chars;
    if (this.outputChars > this.limits.maxOutputChars) throw new BudgetExceeded('output_chars', this.outputChars, this.limits.maxOutputChars);
  }

  /** What is left of the output budget. */
  outputLeft(): number {
    return Math.max(0, this.limits.maxOutputChars - this.outputChars);
  }

  usage(): { tool_calls: number; output_chars: number } {
    return { tool_calls: this.toolCalls, output_chars: this.outputChars };
  }
}
