// XO's own client (npm xen-api) following the simulator's 302 to the pool member that
// holds a disk (a local SR of a supporter): getResource of /export (XVA) and
// /export_raw_vdi (raw); writes the raw bytes to OUT_FILE for the Python driver to check.
// usage: node dataplane_xen_api_remote.mjs URL USER PASSWORD VM_REF VDI_REF OUT_FILE
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [url, user, password, vm, vdi, outFile] = process.argv.slice(2)
const { createClient } = await import(pathToFileURL(join(process.env.XR_NPM_DIR, 'node_modules', 'xen-api', 'index.mjs')))
const xapi = createClient({ url, auth: { user, password }, allowUnauthorized: true })
await xapi.connect()

async function fetchAll(pathname, query) {
  const response = await xapi.getResource(pathname, { query, task: true })
  const chunks = []
  await new Promise((resolve, reject) => {
    response.body.on('data', c => chunks.push(c))
    response.body.on('end', resolve)
    response.body.on('error', reject)
  })
  await response.task
  return Buffer.concat(chunks)
}

try {
  const xva = await fetchAll('/export/', { ref: vm })
  if (xva.subarray(0, 7).toString() !== 'ova.xml') throw new Error('the XVA does not start with ova.xml')
  const raw = await fetchAll('/export_raw_vdi/', { vdi, format: 'raw' })
  writeFileSync(outFile, raw)
  console.log(`xva ${xva.length} bytes, raw ${raw.length} bytes`)
} finally {
  await xapi.disconnect()
}
