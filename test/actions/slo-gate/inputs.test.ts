import { afterEach, describe, expect, it, vi } from 'vitest';
import { getInputs } from '../../../src/actions/slo-gate/inputs.js';
import { ConfigurationError } from '../../../src/config/errors.js';

// @actions/core reads inputs from INPUT_<NAME> variables, as the runner sets them.
const inputs = (values: Record<string, string>) => {
  vi.stubEnv('INPUT_SLOS', 'slos/*.yaml');
  for (const [name, value] of Object.entries(values)) vi.stubEnv(`INPUT_${name.toUpperCase()}`, value);
};

describe('slo-gate prometheus-auth input', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('takes a bare type name, with the schema defaults', () => {
    inputs({
      'prometheus-url': 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1',
      'prometheus-auth': 'sigv4',
    });
    expect(getInputs().prometheusAuth).toEqual({ type: 'sigv4', service: 'aps' });
  });

  it('takes a YAML map of the same fields as spec.source.auth', () => {
    inputs({
      'prometheus-url': 'https://eu-de.monitoring.cloud.ibm.com/prometheus',
      'prometheus-auth': '{type: ibm, instanceId: 0c8c3bb9-3a33-4b45-9f1c-4bdc9c3a7e11}',
    });
    expect(getInputs().prometheusAuth).toEqual({
      type: 'ibm',
      instanceId: '0c8c3bb9-3a33-4b45-9f1c-4bdc9c3a7e11',
      apiKeyEnv: 'IBM_CLOUD_API_KEY',
    });
  });

  it('an unknown type, a missing instance or no prometheus-url is a configuration error naming the input', () => {
    inputs({ 'prometheus-url': 'https://prom.example', 'prometheus-auth': 'kerberos' });
    expect(() => getInputs()).toThrow(
      /prometheus-auth(\.type)?: auth\.type must be one of "sigv4", "azure", "google", "ibm"/,
    );
    inputs({ 'prometheus-url': 'https://prom.example', 'prometheus-auth': '{type: ibm}' });
    expect(() => getInputs()).toThrow(/prometheus-auth\.instanceId/);
    inputs({ 'prometheus-url': '', 'prometheus-auth': 'azure' });
    expect(() => getInputs()).toThrow(ConfigurationError);
    expect(() => getInputs()).toThrow(/prometheus-auth: applies to prometheus-url, which is not set/);
  });
});
