// Drives the simulator's data plane with Xen Orchestra's own client (npm xen-api):
// getResource downloads of /export_raw_vdi (raw and vhd) and /export (zstd XVA), and a
// putResource uploads with an unknown length (XO's 1 PiB trick): raw disk and XVA. Writes the downloads
// to OUT_DIR for the Python driver to check; exits non-zero on any failure.
// usage: node dataplane_xen_api.mjs URL USER PASSWORD VDI_REF VM_REF TARGET_VDI_REF SR_REF OUT_DIR
import { createReadStream, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'

const [url, user, password, vdi, vm, target, sr, outDir] = process.argv.slice(2)
const npmDir = process.env.XR_NPM_DIR
const { createClient } = await import(pathToFileURL(join(npmDir, 'node_modules', 'xen-api', 'index.mjs')))

const xapi = createClient({ url, auth: { user, password }, allowUnauthorized: true })
await xapi.connect()

// The body is consumed in flowing mode into memory: undici 6.29 (xen-api's HTTP
// client) crashes with `assert(!this.paused)` when the server closes a length-less
// response while the parser is paused by backpressure (nodejs/undici#5360), which a
// slower consumer such as a file stream triggers on loopback.
async function download(pathname, query, file) {
  const response = await xapi.getResource(pathname, { query, task: true })
  const chunks = []
  await new Promise((resolve, reject) => {
    response.body.on('data', chunk => chunks.push(chunk))
    response.body.on('end', resolve)
    response.body.on('error', reject)
  })
  writeFileSync(join(outDir, file), Buffer.concat(chunks))
  const result = await response.task
  console.log(`${file}: ${Buffer.concat(chunks).length} bytes, task result ${JSON.stringify(result)}`)
}

try {
  await download('/export_raw_vdi/', { vdi, format: 'raw' }, 'xen-api.raw')
  await download('/export_raw_vdi/', { vdi, format: 'vhd' }, 'xen-api.vhd')
  await download('/export/', { ref: vm, use_compression: 'zstd' }, 'xen-api.xva.zst')
  // A stream without a length: xen-api probes for a redirect with an empty PUT, then
  // announces 1 PiB and cuts the connection after the data.
  const body = Readable.from(createReadStream(join(outDir, 'xen-api.raw')))
  const vdiRef = await xapi.putResource(body, '/import_raw_vdi/', {
    query: { vdi: target, format: 'raw' },
    task: true,
  })
  console.log(`upload: task result ${JSON.stringify(vdiRef)}`)
  if (vdiRef !== target) throw new Error(`upload returned ${vdiRef}, expected ${target}`)
  // XO's VM import: the XVA as a length-less stream; the task result is an array of refs.
  const xva = Readable.from(createReadStream(join(outDir, 'xen-api.xva.zst')))
  const vms = await xapi.putResource(xva, '/import/', { query: { sr_id: sr }, task: true })
  console.log(`import: task result ${JSON.stringify(vms)}`)
  if (!Array.isArray(vms) || vms.length !== 1 || !vms[0].startsWith('OpaqueRef:')) {
    throw new Error(`import returned ${JSON.stringify(vms)}`)
  }
  writeFileSync(join(outDir, 'imported-vm'), vms[0])
} finally {
  await xapi.disconnect()
}
