// Validates XO objects ({"<collection>": [objects]}, from xo_map_dump or the live API)
// against the component schemas of XO's OpenAPI document with ajv (strict: false).
// Lists fields the schema does not know and schema errors (missing required fields,
// wrong types); exits 1 on any difference not listed in the allow-list file.
// Usage: node validate_xo_schemas.mjs NPM_DIR OBJECTS.json ALLOWLIST.json
import { readFileSync } from 'node:fs'

import { loadXoSpec } from './xo_spec.mjs'

const [npmDir, objectsFile, allowFile] = process.argv.slice(2)
const { spec, ajv } = loadXoSpec(npmDir)
const objects = JSON.parse(readFileSync(objectsFile))
const allow = JSON.parse(readFileSync(allowFile)).differences

const SCHEMAS = {
  pools: 'Unbrand_XoPool_', hosts: 'Unbrand_XoHost_', vms: 'Unbrand_XoVm_',
  'vm-templates': 'Unbrand_XoVmTemplate_', 'vm-snapshots': 'Unbrand_XoVmSnapshot_',
  'vm-controllers': 'Unbrand_XoVmController_', vdis: 'Unbrand_XoVdi_',
  'vdi-snapshots': 'Unbrand_XoVdiSnapshot_', srs: 'Unbrand_XoSr_', networks: 'Unbrand_XoNetwork_',
  pifs: 'Unbrand_XoPif_', vifs: 'Unbrand_XoVif_', vbds: 'Unbrand_XoVbd_', pbds: 'Unbrand_XoPbd_',
  messages: 'Unbrand_XoMessage_', alarms: 'Unbrand_XoAlarm_', sms: 'Unbrand_XoSm_',
  pcis: 'Unbrand_XoPci_', pgpus: 'Unbrand_XoPgpu_',
}


// difference key: "<collection> <kind> <path> <detail>"
const found = new Map()
function note(coll, kind, where, detail, id) {
  const key = `${coll} ${kind} ${where}${detail ? ' ' + detail : ''}`
  const entry = found.get(key) ?? { coll, kind, where, detail, count: 0, example: id }
  entry.count++
  found.set(key, entry)
}

// Ids and links must be uuids (or "<pool uuid>-<uuid>" for default templates): catches
// corrupt strings that the schemas' bare `type: string` would accept.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const TEMPLATE_ID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/
const LINK_KEYS = new Set(['id', 'uuid', '$pool', '$poolId', '$container', '$SR', '$VBDs', '$VM',
  '$network', '$host', '$PBDs', '$PIFs', 'VIFs', 'PIFs', 'VDIs', 'VDI', 'VM', 'snapshots',
  '$snapshot_of', 'master', 'residentVms', 'controlDomain', 'bondSlaves', 'bondMaster',
  'host', 'SR', 'affinityHost', 'default_SR', 'suspendSr', 'haSrs', '$object'])
function checkIds(coll, obj) {
  for (const key of LINK_KEYS) {
    if (!(key in obj)) continue
    for (const v of [obj[key]].flat()) {
      const ok = typeof v === 'string' && (UUID.test(v) || (key === 'id' && TEMPLATE_ID.test(v)))
      if (!ok) note(coll, 'bad-id', key, JSON.stringify(v).slice(0, 60), obj.id)
    }
  }
}

let total = 0
for (const [coll, list] of Object.entries(objects)) {
  const name = SCHEMAS[coll]
  if (name === undefined) {
    note(coll, 'no-schema', '', '', list[0]?.id)
    continue
  }
  const schema = spec.components.schemas[name]
  const validate = ajv.compile({ $ref: `xo#/components/schemas/${name}` })
  const known = new Set(Object.keys(schema.properties ?? {}))
  for (const obj of list) {
    total++
    for (const key of Object.keys(obj)) if (!known.has(key)) note(coll, 'unknown', key, '', obj.id)
    checkIds(coll, obj)
    if (!validate(obj)) {
      for (const e of validate.errors) {
        const where = e.keyword === 'required' ? e.params.missingProperty : e.instancePath
        const detail = e.keyword === 'required' ? '' : e.message
        note(coll, e.keyword === 'required' ? 'missing' : 'invalid', where, detail, obj.id)
      }
    }
  }
}

function allowed(d) {
  return allow.some(a => (a.collection === '*' || a.collection === d.coll) && a.kind === d.kind &&
    (a.path === d.where || (a.path.endsWith('*') && d.where.startsWith(a.path.slice(0, -1)))))
}

let unexpected = 0
const counts = Object.entries(objects).map(([c, l]) => `${c}=${l.length}`).join(' ')
console.log(`validated ${total} objects against ${spec.info.title} ${spec.info.version}: ${counts}`)
for (const d of [...found.values()].sort((a, b) => (a.coll + a.where).localeCompare(b.coll + b.where))) {
  const ok = allowed(d)
  if (!ok) unexpected++
  console.log(`${ok ? 'expected  ' : 'UNEXPECTED'} ${d.coll}: ${d.kind} ${d.where}${d.detail ? ' (' + d.detail + ')' : ''} x${d.count} e.g. ${d.example}`)
}
// Every collection must be there and non-empty (snapshots, messages, alarms, sms, pcis,
// pgpus included): a collection the model lost would otherwise validate as "no errors".
let missing = 0
for (const coll of Object.keys(SCHEMAS)) {
  if (!(objects[coll]?.length > 0)) {
    missing++
    console.log(`MISSING    ${coll}: no objects in this inventory`)
  }
}
const failed = unexpected + missing
console.log(failed ? `FAIL: ${unexpected} unexpected differences, ${missing} empty or missing collections` : 'PASS')
process.exit(failed ? 1 : 0)
