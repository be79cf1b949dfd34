/** Config problems with their location: file, line and column, and the path of the key. */
export interface ConfigIssue {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted key path, e.g. `tools.exec.security`. */
  path: string;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.file ? `${i.file}${i.line ? `:${i.line}${i.column ? `:${i.column}` : ''}` : ''}: ` : '';
  return `${where}${i.path ? `${i.path}: ` : ''}${i.message}`;
}
