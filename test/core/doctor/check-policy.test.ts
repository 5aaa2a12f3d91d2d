import { describe, expect, it } from 'vitest';
import { checkPolicy, DEFAULT_POLICY, resolvePolicy } from '../../../src/index.js';

describe('doctor: the resolved policy', () => {
  it('lists every field of the policy, so that a bug report never leaves one out', () => {
    const check = checkPolicy(DEFAULT_POLICY);
    expect(Object.keys(check.details ?? {}).sort()).toEqual(Object.keys(DEFAULT_POLICY).sort());
  });

  it('says the guards, the stuck threshold and the orphan grace in its line', () => {
    const check = checkPolicy(
      resolvePolicy({
        novitaOnly: 'stop',
        orphanGraceMinutes: 90,
        maxDestructivePerRun: 10,
        destructiveBudget: { max: 15, windowMinutes: 60 },
      }),
    );
    expect(check.status).toBe('ok');
    expect(check.why).toContain('novitaOnly stop (orphans older than 90 min)');
    expect(check.why).toContain('cap 10 per run');
    expect(check.why).toContain('window budget 15 per 60 min');
    expect(check.why).toContain('stuck after 60 min');
    expect(check.details).toMatchObject({
      orphanGraceMinutes: 90,
      maxDestructivePerRun: 10,
      destructiveBudget: { max: 15, windowMinutes: 60 },
    });
  });
});
