// XO's OpenAPI document (@xen-orchestra/rest-api, fetched by tests/npm/install.sh) loaded for
// ajv: `spec` as published except OpenAPI 3.0's `nullable` beside $ref/anyOf (no `type`),
// which ajv does not know, rewritten as anyOf [schema, null]; `ajv` (strict: false) holding its
// components under the id "xo" (refer to them as xo#/components/schemas/<name>).
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'

function openapiNullable(node) {
  if (Array.isArray(node)) return node.map(openapiNullable)
  if (node === null || typeof node !== 'object') return node
  const out = {}
  for (const [k, v] of Object.entries(node)) out[k] = openapiNullable(v)
  if (out.nullable === true && !('type' in out)) {
    delete out.nullable
    return { anyOf: [out, { type: 'null' }] }
  }
  return out
}

export function loadXoSpec(npmDir) {
  const require = createRequire(path.resolve(npmDir, 'node_modules', 'x.js'))
  const Ajv = require('ajv').default
  const addFormats = require('ajv-formats').default
  const spec = JSON.parse(readFileSync(path.join(npmDir, 'rest-api/package/open-api/spec/swagger.json')))
  spec.components = openapiNullable(spec.components)
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema({ $id: 'xo', components: spec.components })
  return { spec, ajv }
}
