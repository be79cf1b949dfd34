/**
 * YAML documents validated by a zod schema, with every problem located: file, line, column and the
 * dotted path of the key. Unknown keys name their path and the keys allowed there.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type * as z from 'zod';
import type { ConfigIssue } from './errors.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

type Located = { key?: Node; value?: Node };

function locate(contents: unknown, path: readonly PropertyKey[]): Located {
  let node = contents as Node | null | undefined;
  let key: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { ...(key ? { key } : {}) };
      key = pair.key as Node;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | undefined;
      key = undefined;
    } else return { ...(key ? { key } : {}) };
  }
  return { ...(key ? { key } : {}), ...(node ? { value: node } : {}) };
}

function dotted(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Keys an object schema accepts at `path`, for "unknown key" messages. */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition tree
  let s: any = schema;
  const unwrap = () => {
    while (s?._zod?.def && ['optional', 'nullable', 'default', 'readonly', 'pipe'].includes(s._zod.def.type)) {
      s = s._zod.def.type === 'pipe' ? s._zod.def.in : s._zod.def.innerType;
    }
  };
  unwrap();
  for (const seg of path) {
    const def = s?._zod?.def;
    if (def?.type === 'object') s = def.shape[seg as string];
    else if (def?.type === 'record') s = def.valueType;
    else if (def?.type === 'array') s = def.element;
    else return [];
    unwrap();
  }
  const def = s?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}

export function parseYaml<S extends z.ZodType>(text: string, file: string | undefined, schema: S): Parsed<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const withFile = file === undefined ? {} : { file };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        ...withFile,
        ...(e.linePos ? { line: e.linePos[0].line, column: e.linePos[0].col } : at(e.pos[0])),
        path: '',
        message: `invalid YAML: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  const data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, issues: [{ ...withFile, ...at(doc.contents?.range?.[0]), path: '', message: 'the top level must be a mapping of keys' }] };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const issues: ConfigIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, issue.path);
      for (const k of issue.keys) {
        const loc = locate(doc.contents, [...issue.path, k]);
        const near = allowed
          .map((a) => [a, distance(k, a)] as const)
          .filter(([, d]) => d <= 2)
          .sort((x, y) => x[1] - y[1])[0];
        const hint = near ? ` (did you mean "${near[0]}"?)` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
        issues.push({ ...withFile, ...at(loc.key?.range?.[0]), path: dotted([...issue.path, k]), message: `unknown key "${k}"${hint}` });
      }
      continue;
    }
    const loc = locate(doc.contents, issue.path);
    const node = loc.value ?? loc.key;
    let message = issue.message;
    if (issue.code === 'invalid_value') {
      const got = isScalar(loc.value) ? JSON.stringify(loc.value.value) : 'this value';
      message = `${got} is not one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    } else if (issue.code === 'invalid_type') {
      const v = isScalar(loc.value) ? loc.value.value : loc.value ? (isSeq(loc.value) ? [] : {}) : undefined;
      const got =
        v === undefined
          ? 'nothing'
          : v === null
            ? 'null'
            : Array.isArray(v)
              ? 'a list'
              : typeof v === 'object'
                ? 'a mapping'
                : `${typeof v} ${JSON.stringify(v)}`;
      message = `expected ${issue.expected}, got ${got}`;
    }
    issues.push({ ...withFile, ...at(node?.range?.[0]), path: dotted(issue.path), message });
  }
  return { ok: false, issues };
}
