/**
 * Compiles the telemetry JSON Schemas once (schema/*.json are the single source of truth, shared
 * with the SDK) and turns Ajv errors into `{ path, message }` pairs a client can act on.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const schemaDir = new URL('../../schema/', import.meta.url);
const loadJson = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8')) as Record<string, unknown>;

export const recordSchema = loadJson('telemetry-record.v1.json');
export const batchSchema = loadJson('telemetry-batch.v1.json');

/** A problem found in a request, as returned to the client. `path` is a JSON Pointer. */
export interface Problem {
  path: string;
  message: string;
}

// Own Ajv instance with strict, non-coercing options. Fastify's defaults (removeAdditional,
// coerceTypes) would silently repair bad input, which is the opposite of what an audit log wants.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, coerceTypes: false });
ajv.addSchema(recordSchema);

/** One record, fully checked. */
export const validateRecord: ValidateFunction = ajv.getSchema(recordSchema.$id as string)!;

/**
 * The batch envelope with records left opaque: envelope errors reject the whole request, while
 * each record is then checked on its own so that one bad record does not cost the good ones.
 */
export const validateEnvelope: ValidateFunction = ajv.compile({
  ...batchSchema,
  $id: `${String(batchSchema.$id)}#envelope`,
  properties: {
    records: {
      ...(batchSchema.properties as { records: Record<string, unknown> }).records,
      items: { type: 'object' },
    },
  },
});

const COMBINATORS = new Set(['if', 'oneOf', 'anyOf', 'allOf', 'then', 'else']);

const pointerEscape = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Picks the most specific Ajv error and words it for a client; `prefix` roots the path. */
export function describeErrors(errors: ErrorObject[] | null | undefined, prefix = ''): Problem {
  const candidates = (errors ?? []).filter((e) => !COMBINATORS.has(e.keyword));
  if (candidates.length === 0) return { path: prefix || '/', message: 'is invalid' };
  // The deepest path is the most specific: with oneOf (e.g. `null` or an object) the shallow
  // "must be null" is noise next to "/data/rekey/intervalMs must be integer".
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  const maxDepth = Math.max(...candidates.map(depth));
  const deepest = candidates.filter((e) => depth(e) === maxDepth);
  const first = deepest[0]!;
  let path = prefix + first.instancePath;
  let message: string;
  switch (first.keyword) {
    case 'required':
      path += `/${pointerEscape(String(first.params.missingProperty))}`;
      message = 'is required';
      break;
    case 'additionalProperties':
      path += `/${pointerEscape(String(first.params.additionalProperty))}`;
      message = 'is not an allowed field';
      break;
    case 'enum':
      message = `must be one of ${(first.params.allowedValues as unknown[])
        .map((v) => JSON.stringify(v))
        .join(', ')}`;
      break;
    case 'const':
      message = `must be ${JSON.stringify(first.params.allowedValue)}`;
      break;
    case 'type': {
      const types = deepest.filter((e) => e.keyword === 'type').map((e) => e.params.type as string);
      message = `must be ${[...new Set(types)].join(' or ')}`;
      break;
    }
    default:
      message = first.message ?? 'is invalid';
  }
  return { path: path || '/', message };
}
