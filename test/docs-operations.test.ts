import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../src/server/schema.js';
import { useTestServer } from './helpers/test-server.js';

const OPERATIONS = 'docs/operations';
const GUIDE = 'docs/partners.md';
const operationFiles = readdirSync(OPERATIONS)
  .filter((file) => file.endsWith('.graphql'))
  .sort();
const schema = buildSchema();
const guide = readFileSync(GUIDE, 'utf8');

const server = useTestServer();

describe('the example operations of the partner guide (docs/operations)', () => {
  it('are there', () => {
    expect(operationFiles.length).toBeGreaterThanOrEqual(10);
  });

  it.each(operationFiles)('%s is valid against the schema', (file) => {
    const document = parse(readFileSync(join(OPERATIONS, file), 'utf8'));
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    // One named operation per file, so a code generator names its types after it.
    expect(document.definitions.map((definition) => definition.kind === 'OperationDefinition' && Boolean(definition.name))).toEqual([true]);
  });

  it('are each shown in the guide, which names no operation file that does not exist', () => {
    for (const file of operationFiles) expect(guide, file).toContain(`operations/${file}`);
    for (const [, file] of guide.matchAll(/operations\/([\w-]+\.graphql)/g)) expect(operationFiles, file).toContain(file);
  });

  it('and every relative link of the guide and of the README leads to a file', () => {
    for (const document of [GUIDE, 'README.md']) {
      const text = readFileSync(document, 'utf8');
      for (const [, target] of text.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(#[^)]*)?\)/g)) {
        expect(existsSync(resolve(dirname(document), target ?? '')), `${document} links to ${target}`).toBe(true);
      }
    }
    expect(readFileSync('README.md', 'utf8')).toContain('](docs/partners.md)');
  });
});

describe("the guide's typed client recipe", () => {
  it('generates TypeScript types for the operations from GET /schema.graphql with GraphQL Code Generator', async () => {
    const [output] = await generate(
      {
        schema: `${server().url}/schema.graphql`,
        documents: `${OPERATIONS}/*.graphql`,
        silent: true,
        generates: {
          'pulse.generated.ts': {
            plugins: ['typescript', 'typescript-operations'],
            config: { scalars: { DateTime: 'string', Date: 'string', Decimal: 'string', JSON: 'unknown' } },
          },
        },
      },
      false,
    );
    const code = String(output?.content);
    expect(code).toContain('export type DealsBoardQuery');
    expect(code).toContain('export type MoveDealMutationVariables');
    expect(code).toContain('export type DealEventsSubscription');
  });
});
