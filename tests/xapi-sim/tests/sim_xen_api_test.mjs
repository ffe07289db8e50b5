// Drives the simulator with Xen Orchestra's own XAPI client (npm xen-api): connect,
// list objects, follow events while the control endpoint changes things, Async calls
// waited through their tasks, the barrier, and HOST_IS_SLAVE redirection.
// Usage: node sim_xen_api_test.mjs [--xml-rpc] [--tls]   (XR_NPM_DIR = where tests/npm was installed)
// --xml-rpc starts the simulator as an old host without /jsonrpc, so xen-api's transport
// detection falls back to XML-RPC and our XML encoding meets XO's XML-RPC parser.
// Exits non-zero on the first failure (xen-api's own CLI cannot be trusted for that).
import assert from 'node:assert/strict'
import { createClient, startSim, waitFor, vmsOf } from './sim_xen_api_harness.mjs'

const xmlRpc = process.argv.includes('--xml-rpc')
const tls = process.argv.includes('--tls')
const { url, port, clients, finish, control } = await startSim({ opDelay: 0.2, xmlRpc, tls, timeoutMs: 90000 })

async function main() {
  const xapi = createClient({ url, auth: { user: 'root', password: 'secret' }, allowUnauthorized: true,
    eventPollDelay: 500 })  // retry quickly after HOST_STILL_BOOTING (default 60 s)
  clients.push(xapi)
  await xapi.connect()
  assert.equal(xapi.status, 'connected')
  await xapi.objectsFetched
  const info = await control('info')
  // 1. listing: every class the simulator serves arrives in the cache
  const counts = {}
  for (const o of Object.values(xapi.objects.all)) counts[o.$type] = (counts[o.$type] ?? 0) + 1
  for (const cls of ['VM', 'host', 'SR', 'VDI', 'VBD', 'VIF', 'network', 'PIF', 'pool', 'VM_metrics', 'SM', 'console']) {
    assert.equal(counts[cls], info.counts[cls], `count of ${cls}`)
  }
  assert.equal(xapi.pool.$ref, info.pool)
  const vm0 = vmsOf(xapi).find(v => v.power_state === 'Running')
  assert.ok(vm0.$metrics && vm0.$resident_on, 'links resolve through the cache')
  if (xmlRpc) {
    assert.ok(!info.requests.jsonrpc && info.requests.xmlrpc > 0, JSON.stringify(info.requests))
  } else {
    assert.ok(info.requests.jsonrpc > 0 && !info.requests.xmlrpc, JSON.stringify(info.requests))
  }
  assert.equal(url.startsWith('https://'), tls)
  console.log('ok - connect and list over', xmlRpc ? 'XML-RPC' : 'JSON-RPC', tls ? '(TLS)' : '', JSON.stringify(counts))

  // 2. events while the control endpoint changes things
  await control('rename', { ref: vm0.$ref, name: 'renamed via control' })
  await waitFor(xapi, () => xapi.getObjectByRef(vm0.$ref).name_label === 'renamed via control', 'rename event')
  const added = await control('add_vm', { name: 'added via control', power_state: 'Running' })
  await waitFor(xapi, () => xapi.getObjectByRef(added, undefined)?.power_state === 'Running', 'added VM')
  await control('power', { ref: added, state: 'Halted' })
  await waitFor(xapi, () => xapi.getObjectByRef(added).power_state === 'Halted', 'power change')
  await control('remove_vm', { ref: added })
  await waitFor(xapi, () => xapi.getObjectByRef(added, null) === null, 'VM removal')
  console.log('ok - events follow control changes')

  // 3. Async calls and their tasks
  const halted = vmsOf(xapi).find(v => v.power_state === 'Halted')
  const cloneRef = await xapi.callAsync('VM.clone', halted.$ref, 'cloned by xen-api')
  assert.match(cloneRef, /^OpaqueRef:/)
  const clone = await waitFor(xapi, () => xapi.getObjectByRef(cloneRef, undefined), 'clone in cache')
  assert.equal(clone.name_label, 'cloned by xen-api')
  await xapi.callAsync('VM.start', cloneRef, false, false)
  await waitFor(xapi, () => xapi.getObjectByRef(cloneRef).power_state === 'Running', 'clone running')
  await assert.rejects(xapi.callAsync('VM.start', cloneRef, false, false),
    e => e.code === 'VM_BAD_POWER_STATE' && e.params[1] === 'halted' && e.params[2] === 'running')
  await xapi.callAsync('VM.hard_shutdown', cloneRef)
  await xapi.callAsync('VM.destroy', cloneRef)
  await waitFor(xapi, () => xapi.getObjectByRef(cloneRef, null) === null, 'clone destroyed')
  // tasks are destroyed by the client after they settle; the task cache follows
  await waitFor(xapi, () => Object.values(xapi.objects.all).filter(o => o.$type === 'task').length === 0, 'tasks gone')
  console.log('ok - Async calls and tasks')

  // 4. barrier (pool.other_config xo:barrier:* round trip through events)
  const fresh = await xapi.barrier(vm0.$ref)
  assert.equal(fresh.name_label, 'renamed via control')
  console.log('ok - barrier')

  // 5. HOST_IS_SLAVE: connecting to a supporter ends up on the master
  const viaSupporter = createClient({ url: `${tls ? 'https' : 'http'}://127.0.0.2:${port}`, auth: { user: 'root', password: 'secret' },
    allowUnauthorized: true, watchEvents: false })
  clients.push(viaSupporter)
  await viaSupporter.connect()
  assert.equal(viaSupporter.status, 'connected')
  const pools = await viaSupporter.call('pool.get_all')
  assert.deepEqual(pools, [info.pool])
  console.log('ok - HOST_IS_SLAVE redirect to the master')

  // 6. restart: the client re-logs in and its event loop recovers
  await control('restart', { booting_seconds: 1 })
  await new Promise(r => setTimeout(r, 1500))
  await control('rename', { ref: vm0.$ref, name: 'after restart' })
  await waitFor(xapi, () => xapi.getObjectByRef(vm0.$ref).name_label === 'after restart', 'events after restart', 30000)
  console.log('ok - recovers after a simulated restart')
}

main().then(() => finish(0), err => { console.error('FAIL:', err); finish(1) })
