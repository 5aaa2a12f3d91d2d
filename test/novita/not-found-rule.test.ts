import { describe, expect, it } from 'vitest';
import { NovitaApiError, NovitaAuthError } from '../../src/errors.js';
import { isNotFoundAnswer, isNotFoundError } from '../../src/novita/not-found-rule.js';

describe('the not-found rule', () => {
  it('takes only HTTP 400 with RESOURCE_NOT_FOUND as "does not exist" by default', () => {
    expect(isNotFoundAnswer(400, 'RESOURCE_NOT_FOUND', 'documented')).toBe(true);
    expect(isNotFoundAnswer(404, 'RESOURCE_NOT_FOUND', 'documented')).toBe(false);
    expect(isNotFoundAnswer(404, undefined, 'documented')).toBe(false);
    expect(isNotFoundAnswer(400, 'VALIDATOR_PARAM', 'documented')).toBe(false);
    for (const status of [200, 410, 500, undefined]) expect(isNotFoundAnswer(status, 'RESOURCE_NOT_FOUND', 'documented')).toBe(false);
  });

  it('widens to an enveloped 404 RESOURCE_NOT_FOUND only under documented-or-enveloped-404, never a bare 404', () => {
    expect(isNotFoundAnswer(404, 'RESOURCE_NOT_FOUND', 'documented-or-enveloped-404')).toBe(true);
    expect(isNotFoundAnswer(404, 'NOT_FOUND', 'documented-or-enveloped-404')).toBe(false);
    expect(isNotFoundAnswer(404, undefined, 'documented-or-enveloped-404')).toBe(false);
    expect(isNotFoundAnswer(400, 'RESOURCE_NOT_FOUND', 'documented-or-enveloped-404')).toBe(true);
  });

  it('reads rejections the same way, and only NOVITA_API errors', () => {
    expect(isNotFoundError(new NovitaApiError('x', { status: 400, reason: 'RESOURCE_NOT_FOUND' }), 'documented')).toBe(true);
    expect(isNotFoundError(new NovitaApiError('x', { status: 404, reason: 'RESOURCE_NOT_FOUND' }), 'documented')).toBe(false);
    expect(isNotFoundError(new NovitaAuthError('x', { status: 400, reason: 'RESOURCE_NOT_FOUND' }), 'documented')).toBe(false);
    expect(isNotFoundError(Object.assign(new Error('x'), { status: 400, reason: 'RESOURCE_NOT_FOUND' }), 'documented')).toBe(false);
  });
});
