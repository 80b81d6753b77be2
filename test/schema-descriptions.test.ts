import { buildASTSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedScalarType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readTypeDefs } from '../src/server/schema.js';

/** Every type, field and argument a partner's explorer shows, with no description. */
function undocumented(): string[] {
  const schema = buildASTSchema(parse(readTypeDefs().join('\n')), { assumeValidSDL: true });
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    if (!type.description) missing.push(type.name);
    if (isEnumType(type)) continue;
    if (!isObjectType(type) && !isInputObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.description) missing.push(`${type.name}.${field.name}`);
      for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
    }
  }
  return missing;
}

describe('the schema documents itself', () => {
  it('describes every type, field and argument', () => {
    expect(undocumented()).toEqual([]);
  });
});
