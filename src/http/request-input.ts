/**
 * Request input: a JSON body or a query object (Express `req.query`, Fastify `request.query`, Next's
 * `URLSearchParams`), validated once with zod. Booleans arrive as JSON booleans or as the query strings
 * `"true"` / `"false"`; anything else for a boolean is refused.
 */
import { z } from 'zod';
import type { HttpValidationIssue } from './envelope.js';

const BOOLEAN_MESSAGE = 'must be true or false (a JSON boolean, or the query string "true" or "false")';

/** A boolean from a JSON body or a query string. `"1"`, `"yes"`, `"TRUE"` and `""` are refused. */
export const requestBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')], { error: BOOLEAN_MESSAGE });

/** The outcome of {@link parseRequestInput}. */
export type ParsedInput<T> = { ok: true; value: T } | { ok: false; issues: HttpValidationIssue[] };

/**
 * Parses `input` with a strict object schema. `undefined` and `null` (no body, no query) count as `{}`;
 * a `URLSearchParams` becomes an object, a key given twice is refused. Every issue names its field;
 * unknown fields are refused with the list of accepted ones.
 */
export function parseRequestInput<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>, input: unknown): ParsedInput<z.output<z.ZodObject<Shape>>> {
  let value: unknown = input ?? {};
  if (value instanceof URLSearchParams) {
    const entries: Record<string, string> = {};
    for (const [key, text] of value) {
      if (Object.hasOwn(entries, key)) return { ok: false, issues: [{ field: key, message: 'is given more than once' }] };
      entries[key] = text;
    }
    value = entries;
  }
  const parsed = schema.strict().safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const accepted = Object.keys(schema.shape).join(', ');
  const issues: HttpValidationIssue[] = parsed.error.issues.flatMap((issue): HttpValidationIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: key, message: `is not an accepted field (accepted: ${accepted})` }));
    }
    const field = issue.path.map(String).join('.');
    if (field === '') return [{ field: '(input)', message: `must be an object of fields (accepted: ${accepted})` }];
    return [{ field, message: issue.message }];
  });
  return { ok: false, issues };
}
