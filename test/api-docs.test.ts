import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { docCoverage } from '../scripts/doc-coverage.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Building the TypeScript program of the entry points takes about 2 s; a busy CI machine gets room. */
const PROGRAM_TIMEOUT_MS = 60_000;

describe('public API documentation', () => {
  it(
    'gives every export of the entry points, and every member of an exported interface, class or type literal, a TSDoc comment',
    () => {
      const { documented, total, missing } = docCoverage(ROOT);
      // Nothing counted would pass vacuously (an entry that is no module makes docCoverage throw).
      expect(total).toBeGreaterThan(0);
      const message = `${missing.length} of ${total} lack a doc comment (${documented} documented):\n  ${missing.join('\n  ')}`;
      expect(missing, message).toEqual([]);
    },
    PROGRAM_TIMEOUT_MS,
  );
});
