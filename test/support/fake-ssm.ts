import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the AWS Systems Manager Parameter Store API, enough for the
 * AWS provider's `aws_ssm_parameter` (create, read, refresh, delete). The
 * wire format is AWS JSON 1.1: POST /, `X-Amz-Target: AmazonSSM.<Operation>`,
 * errors as `{"__type": ..., "message": ...}` with HTTP 400
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/Welcome.html,
 * PutParameter, GetParameter, DescribeParameters, ListTagsForResource,
 * DeleteParameter). Versions grow by one on every write, as in SSM.
 */
interface Parameter {
  Name: string;
  Type: string;
  Value: string;
  Version: number;
  DataType: string;
  Tier: string;
  LastModifiedDate: number;
}

export class FakeSsm {
  readonly parameters = new Map<string, Parameter>();
  readonly operations: string[] = [];
  private server: Server | undefined;
  url = '';

  static async start(): Promise<FakeSsm> {
    const fake = new FakeSsm();
    fake.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const [status, doc] = fake.handle(String(req.headers['x-amz-target'] ?? ''), body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(doc));
      });
    });
    await new Promise<void>((resolve) => fake.server?.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A change made outside Terraform (the console, another tool): the next refresh sees it. */
  editOutside(name: string, value: string): void {
    const p = this.parameters.get(name);
    if (!p) throw new Error(`fake-ssm: no parameter ${name}`);
    this.parameters.set(name, {
      ...p,
      Value: value,
      Version: p.Version + 1,
      LastModifiedDate: Date.now() / 1000,
    });
  }

  private handle(target: string, body: string): [number, unknown] {
    const operation = target.replace(/^AmazonSSM\./, '');
    this.operations.push(operation);
    let input: Record<string, unknown>;
    try {
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return [400, { __type: 'SerializationException', message: 'body is not JSON' }];
    }
    const name = String(input.Name ?? '');
    const found = this.parameters.get(name);
    const notFound: [number, unknown] = [
      400,
      { __type: 'ParameterNotFound', message: `Parameter ${name} not found.` },
    ];
    switch (operation) {
      case 'PutParameter': {
        if (found && input.Overwrite !== true)
          return [400, { __type: 'ParameterAlreadyExists', message: 'The parameter already exists.' }];
        const version = (found?.Version ?? 0) + 1;
        this.parameters.set(name, {
          Name: name,
          Type: String(input.Type ?? found?.Type ?? 'String'),
          Value: String(input.Value ?? ''),
          Version: version,
          DataType: String(input.DataType ?? 'text'),
          Tier: String(input.Tier ?? 'Standard'),
          LastModifiedDate: Date.now() / 1000,
        });
        return [200, { Version: version, Tier: 'Standard' }];
      }
      case 'GetParameter':
        if (!found) return notFound;
        return [
          200,
          {
            Parameter: {
              Name: found.Name,
              Type: found.Type,
              Value: found.Value,
              Version: found.Version,
              DataType: found.DataType,
              LastModifiedDate: found.LastModifiedDate,
              ARN: `arn:aws:ssm:eu-west-1:123456789012:parameter${found.Name}`,
            },
          },
        ];
      case 'DescribeParameters': {
        const filters = (input.ParameterFilters ?? []) as { Key: string; Values: string[] }[];
        const names = filters.find((f) => f.Key === 'Name')?.Values ?? [...this.parameters.keys()];
        const list = names.flatMap((n) => this.parameters.get(n) ?? []);
        return [
          200,
          {
            Parameters: list.map(({ Value: _value, ...p }) => ({ ...p, Policies: [] })),
          },
        ];
      }
      case 'ListTagsForResource':
        return this.parameters.has(String(input.ResourceId))
          ? [200, { TagList: [] }]
          : [400, { __type: 'InvalidResourceId', message: 'The resource ID is not valid.' }];
      case 'DeleteParameter':
        if (!found) return notFound;
        this.parameters.delete(name);
        return [200, {}];
      default:
        return [400, { __type: 'InvalidAction', message: `fake-ssm does not implement ${operation}` }];
    }
  }
}
