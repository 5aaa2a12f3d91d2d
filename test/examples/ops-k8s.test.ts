/**
 * examples/ops/k8s/cronjob.yaml: a CronJob that runs the installed command, never two at once, with
 * only the variables the package reads, and a failure policy built on the command's real exit codes.
 * No YAML library is installed: the manifest is read with the small indentation reader below, which
 * knows the subset the manifest uses (maps, lists, scalars, flow lists).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, runCli } from '../../src/cli/main.js';
import { policyFromEnv } from '../../src/index.js';
import { startFakeNovita } from '../../src/testing/index.js';
import { exampleCommand } from '../support/example-commands.js';
import { connectRedis, dropPrefix, requireRedisUrl, uniquePrefix } from '../support/redis-test-kit.js';

const root = resolve(import.meta.dirname, '../..');
const manifest = readFileSync(resolve(root, 'examples/ops/k8s/cronjob.yaml'), 'utf8');

/** One YAML document as `path -> scalar`, lists indexed (`containers.0.name`). */
function readDocument(text: string): Map<string, string> {
  const values = new Map<string, string>();
  // Each open level: its indentation and its path; a list item opens a level at the dash's indentation.
  const stack: { indent: number; path: string; items: number }[] = [{ indent: -1, path: '', items: 0 }];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '');
    if (line.trim() === '') continue;
    let indent = line.length - line.trimStart().length;
    let rest = line.trim();
    while ((stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
    let parent = stack.at(-1) as { indent: number; path: string; items: number };
    if (rest.startsWith('- ')) {
      const item = `${parent.path}.${parent.items}`;
      parent.items += 1;
      rest = rest.slice(2);
      indent += 2;
      // Between the dash and the item's keys, so its keys (at `indent`) stay inside it.
      parent = { indent: indent - 1, path: item, items: 0 };
      stack.push(parent);
      if (!rest.includes(': ') && !rest.endsWith(':')) {
        values.set(item.slice(1), unquote(rest));
        continue;
      }
    }
    const colon = rest.indexOf(':');
    const key = rest.slice(0, colon);
    const value = rest.slice(colon + 1).trim();
    const path = `${parent.path}.${key}`;
    if (value === '') stack.push({ indent, path, items: 0 });
    else values.set(path.slice(1), unquote(value));
  }
  return values;
}

const unquote = (value: string): string => (/^".*"$/.test(value) ? (JSON.parse(value) as string) : value);

const documents = manifest
  .split(/^---$/m)
  .map(readDocument)
  .filter((document) => document.size > 0);
const byKind = (kind: string): Map<string, string> => {
  const found = documents.find((document) => document.get('kind') === kind);
  if (!found) throw new Error(`the manifest has no ${kind}`);
  return found;
};
/** The entries under a map path, as an object. */
const mapAt = (document: Map<string, string>, path: string): Record<string, string> =>
  Object.fromEntries(
    [...document]
      .filter(([key]) => key.startsWith(`${path}.`) && !key.slice(path.length + 1).includes('.'))
      .map(([key, value]) => [key.slice(path.length + 1), value]),
  );

const cronJob = byKind('CronJob');
const secret = byKind('Secret');
const configMap = byKind('ConfigMap');
const pod = 'spec.jobTemplate.spec.template.spec';
const container = `${pod}.containers.0`;

describe('Kubernetes CronJob (examples/ops/k8s/cronjob.yaml)', () => {
  it('is applied as its header says (kubectl is not run here: no cluster; the manifest it applies is what the other tests read)', () => {
    const command = exampleCommand('examples/ops/k8s/cronjob.yaml');
    expect([command.program, ...command.args]).toEqual(['kubectl', 'apply', '-f', 'examples/ops/k8s/cronjob.yaml']);
  });

  it('runs the installed novita-reconcile directly (not through npx, which does not pass SIGTERM on), never two at once, bounded', () => {
    expect(cronJob.get('apiVersion')).toBe('batch/v1');
    expect(cronJob.get('spec.concurrencyPolicy')).toBe('Forbid');
    expect(cronJob.get(`${container}.command`)).toBe('["/app/node_modules/.bin/novita-reconcile"]');
    expect(manifest).not.toMatch(/^\s*command:.*npx/m);
    expect(Number(cronJob.get('spec.jobTemplate.spec.backoffLimit'))).toBeGreaterThanOrEqual(0);
    expect(Number(cronJob.get('spec.jobTemplate.spec.activeDeadlineSeconds'))).toBeGreaterThan(600);
    expect(cronJob.get(`${pod}.restartPolicy`)).toBe('Never');
    expect(cronJob.get(`${container}.envFrom.0.secretRef.name`)).toBe(secret.get('metadata.name'));
    expect(cronJob.get(`${container}.envFrom.1.configMapRef.name`)).toBe(configMap.get('metadata.name'));
  });

  it('fails the Job at once on the exit codes a retry cannot fix: usage, lock held, safety limit', () => {
    const rule = 'spec.jobTemplate.spec.podFailurePolicy.rules.0';
    expect(cronJob.get(`${rule}.action`)).toBe('FailJob');
    expect(cronJob.get(`${rule}.onExitCodes.containerName`)).toBe(cronJob.get(`${container}.name`));
    expect(cronJob.get(`${rule}.onExitCodes.values`)).toBe(
      `[${[EXIT_CODES.USAGE, EXIT_CODES.SYNC_IN_PROGRESS, EXIT_CODES.SAFETY_TRIPPED].join(', ')}]`,
    );
  });

  it('sets only variables the package reads (.env.example), the credentials in the Secret, policy values policyFromEnv accepts', () => {
    const known = new Set(
      [...readFileSync(resolve(root, '.env.example'), 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]),
    );
    const secretVariables = Object.keys(mapAt(secret, 'stringData'));
    const configVariables = Object.keys(mapAt(configMap, 'data'));
    const inline = [...cronJob].filter(([key]) => /\.env\.\d+\.name$/.test(key)).map(([, name]) => name);
    expect(secretVariables.sort()).toEqual(['NOVITA_API_KEY', 'REDIS_URL']);
    expect(configVariables.length).toBeGreaterThan(0);
    for (const variable of [...secretVariables, ...configVariables, ...inline])
      expect(known, `${variable} is not read by the package`).toContain(variable);
    expect(() => policyFromEnv(mapAt(configMap, 'data'))).not.toThrow();
  });

  describe('the command as the manifest runs it', () => {
    let redis: Redis;
    const prefix = uniquePrefix('k8s');
    beforeAll(() => {
      redis = connectRedis();
    });
    afterAll(async () => {
      await dropPrefix(redis, prefix);
      await redis.quit();
    });

    it("completes a run with the ConfigMap's settings and args (the Secret's values pointed at a fake Novita and the test Redis)", async () => {
      const fake = await startFakeNovita();
      try {
        const env = {
          ...mapAt(configMap, 'data'),
          NOVITA_API_KEY: fake.apiKey,
          NOVITA_API_BASE_URL: fake.url,
          REDIS_URL: requireRedisUrl(),
          REDIS_KEY_PREFIX: prefix,
        };
        const args = JSON.parse(cronJob.get(`${container}.args`) ?? 'null') as string[];
        let stdout = '';
        let stderr = '';
        const code = await runCli(args, env, {
          stdout: { write: (text: string) => (stdout += text) },
          stderr: { write: (text: string) => (stderr += text) },
        });
        expect(code, stderr).toBe(EXIT_CODES.OK);
        expect(stdout).toMatch(/Records: 0 before, 0 after/);
      } finally {
        await fake.close();
      }
    });
  });
});
