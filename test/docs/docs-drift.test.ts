/**
 * The option tables of the docs name exactly the options the code has: a new option left out of its
 * page, or a page naming one that was renamed, fails here. Each list below is checked against the
 * type at compile time (`satisfies` and `Exclude<...>` must be `never`), and against the page's table
 * at run time.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, POLICY_ENV_VARIABLES, type ReconcilerOptions, type SyncPolicy } from '../../src/index.js';
import type { NovitaClientOptions } from '../../src/novita/index.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The list itself when it names every key of `Options`; `never` (a compile error where it is assigned) when one is missing. */
type Complete<Options, List extends readonly (keyof Options)[]> = Exclude<keyof Options, List[number]> extends never ? List : never;

const RECONCILER_OPTIONS = [
  'store',
  'novitaClient',
  'policy',
  'logger',
  'lock',
  'clock',
  'onEvent',
  'scope',
  'adoptRecord',
  'livenessCheck',
  'livenessTimeoutMs',
  'confirmConcurrency',
  'confirmFailureLimit',
  'confirmBudgetMs',
  'storeTimeoutMs',
  'listingTimeoutMs',
  'readBatchSize',
  'writeBatchSize',
] as const satisfies readonly (keyof ReconcilerOptions)[];
const reconcilerOptions: Complete<ReconcilerOptions, typeof RECONCILER_OPTIONS> = RECONCILER_OPTIONS;

const CLIENT_OPTIONS = [
  'apiKey',
  'baseUrl',
  'pageSize',
  'firstPageNum',
  'timeoutMs',
  'retry',
  'maxConcurrency',
  'requestBudget',
  'maxPages',
  'notFoundListingIsEmpty',
  'notFoundResponses',
  'listing',
  'keepRaw',
  'fetch',
  'userAgent',
  'logger',
  'env',
] as const satisfies readonly (keyof NovitaClientOptions)[];
const clientOptions: Complete<NovitaClientOptions, typeof CLIENT_OPTIONS> = CLIENT_OPTIONS;

/** The backticked names in the first column of the first table after the heading `heading` of `page`. */
function firstColumn(page: string, heading: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`${page}: no heading ${heading}`);
  const lines = text.slice(start + heading.length + 2).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows = lines.slice(
    first + 2,
    lines.findIndex((line, index) => index > first && !line.startsWith('|')),
  );
  return rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? ''));
}

describe('the docs name every option, and only real ones', () => {
  it('docs/reconciler.md: every createReconciler option', () => {
    expect(new Set(firstColumn('docs/reconciler.md', '## Options'))).toEqual(new Set(reconcilerOptions));
  });

  it('docs/novita.md: every createNovitaClient option (nested ones as retry.x, listing.x)', () => {
    const documented = firstColumn('docs/novita.md', '## createNovitaClient(options)').map((name) => name.split('.')[0]);
    expect(new Set(documented)).toEqual(new Set(clientOptions));
  });

  it('docs/configuration.md and .env.example: every policy field with its variable', () => {
    const text = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    const env = readFileSync(join(ROOT, '.env.example'), 'utf8');
    for (const [variable, field] of Object.entries(POLICY_ENV_VARIABLES)) {
      expect(text, `${field} / ${variable}`).toContain(`| \`${field}\` | \`${variable}\``);
      expect(env, variable).toMatch(new RegExp(`^${variable}=`, 'm'));
    }
    expect(new Set(firstColumn('docs/configuration.md', '## The policy'))).toEqual(
      new Set(Object.keys(DEFAULT_POLICY) as (keyof SyncPolicy)[]),
    );
  });
});
