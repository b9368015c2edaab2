import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { renderQuery } from '../../src/config/template.js';

const errorRate =
  'sum(rate(http_requests_total{app="{{service}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{app="{{service}}"}[{{window}}]))';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('renderQuery', () => {
  it('fills label values, names and durations', () => {
    expect(renderQuery(errorRate, { service: 'payments', window: '5m' })).toBe(
      'sum(rate(http_requests_total{app="payments",code=~"5.."}[5m])) / sum(rate(http_requests_total{app="payments"}[5m]))',
    );
  });

  it('escapes regex metacharacters after =~ so a value matches only itself', () => {
    expect(renderQuery('up{job=~"{{job}}"}', { job: 'api.v2+x' })).toBe('up{job=~"api\\\\.v2\\\\+x"}');
  });

  it('refuses a value that would close its quotes (the classic injection)', () => {
    const text = message(() => renderQuery(errorRate, { service: 'x"} or vector(1) #', window: '5m' }));
    expect(text).toContain('{{service}}');
    expect(text).toContain("change the query's structure");
  });

  it('refuses single-quote and backslash escapes out of a quoted value', () => {
    expect(message(() => renderQuery("up{a='{{v}}'}", { v: "x'} or vector(1)" }))).toContain('{{v}}');
    expect(message(() => renderQuery('up{a="{{v}}"}', { v: 'x\\' }))).toContain('{{v}}');
  });

  it('refuses an unquoted value that is more than a name or number', () => {
    const text = message(() => renderQuery('rate(x[{{window}}])', { window: '5m]) or vector(1) or (x[5m' }));
    expect(text).toContain('cannot stand outside quotes');
  });

  it('names an unknown variable and the known ones', () => {
    expect(message(() => renderQuery('up{a="{{svc}}"}', { service: 'a' }))).toMatch(
      /unknown template variable \{\{svc\}\}.*\{\{service\}\}/,
    );
  });

  it('reports a query that is not PromQL with the place of the error', () => {
    expect(message(() => renderQuery('sum(rate(x[5m]) /', {}))).toMatch(
      /not valid PromQL: syntax error at character \d+/,
    );
  });

  it('puts the file and field of the check on the error', () => {
    const e = (() => {
      try {
        renderQuery(
          'up{a="{{v}}"}',
          { v: '"' },
          { file: 'gate.yml', line: 7, field: 'spec.checks[0].query' },
        );
      } catch (err: unknown) {
        return err as ConfigurationError;
      }
    })();
    expect(e?.problems[0]).toMatchObject({ file: 'gate.yml', line: 7, field: 'spec.checks[0].query' });
  });
});
