// Validates answers of our API against the response schemas of XO's OpenAPI document
// (@xen-orchestra/rest-api, fetched by tests/npm/install.sh) with ajv (strict: false).
// Input: {"items":[{"method":"post","path":"/vms/{id}/actions/start","status":"202","body":...}]}
// Every item whose operation and status XO documents with a JSON schema is validated; the
// others are reported as skipped. Exits 1 on any validation error or when nothing was checked.
// Usage: node validate_xo_responses.mjs NPM_DIR ITEMS.json
import { readFileSync } from 'node:fs'

import { loadXoSpec } from './xo_spec.mjs'

const [npmDir, itemsFile] = process.argv.slice(2)
const { spec, ajv } = loadXoSpec(npmDir)
const { items } = JSON.parse(readFileSync(itemsFile))

function rebase(schema) {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"xo#/components/'))
}

let checked = 0
let failed = 0
for (const it of items) {
  const op = spec.paths[it.path]?.[it.method]
  const schema = op?.responses?.[it.status]?.content?.['application/json']?.schema
  const label = `${it.method.toUpperCase()} ${it.path} ${it.status}`
  if (!schema) {
    console.log(`skipped (XO documents no JSON body): ${label}`)
    continue
  }
  const validate = ajv.compile(rebase(schema))
  checked++
  if (validate(it.body)) {
    console.log(`ok: ${label}`)
  } else {
    failed++
    console.log(`FAIL: ${label}: ${JSON.stringify(validate.errors.slice(0, 5))}`)
  }
}
console.log(`${checked} validated, ${failed} failed`)
process.exit(failed > 0 || checked === 0 ? 1 : 0)
