// The XAPI calls behind the gateway's actions, made by Xen Orchestra's own client (npm
// xen-api) the way xo-server makes them: pool_migrate, a supporter's and the master's
// rolling-reboot step (disable, assert_can_evacuate, evacuate, reboot, wait for enabled +
// agent_start_time + metrics.live — the client survives the master's toolstack going
// away), storage migration through migrate_receive/migrate_send, revert, a hung call
// cancelled, XAPI errors with their codes and params.
// Usage: node sim_xen_api_actions_test.mjs   (XR_NPM_DIR = where tests/npm was installed)
// Exits non-zero on the first failure.
import assert from 'node:assert/strict'
import { createClient, startSim, waitFor, vmsOf } from './sim_xen_api_harness.mjs'

const { url, clients, finish, control } = await startSim({ opDelay: 0.1, timeoutMs: 150000 })

const NULL = 'OpaqueRef:NULL'
const isLocal = (xapi, vm) => vm.$VBDs.some(b => b.type === 'Disk' && b.$VDI && !b.$VDI.$SR.shared)

// xo-server's clearHost + rolling reboot step for one host
async function rebootStep(xapi, host) {
  for (const vm of host.$resident_VMs) {
    if (!vm.is_control_domain && (isLocal(xapi, vm) || vm.power_state === 'Paused')) {
      await xapi.callAsync('VM.hard_shutdown', vm.$ref)
    }
  }
  await xapi.call('host.disable', host.$ref)
  await xapi.call('host.assert_can_evacuate', host.$ref)
  await xapi.callAsync('host.evacuate', host.$ref)
  const rebootTime = Date.now()
  await xapi.callAsync('host.reboot', host.$ref)
  if (host.$ref !== xapi.pool.master) {  // the master's toolstack goes away with it: no event
    await waitFor(xapi, () => { const h = xapi.getObjectByRef(host.$ref); return !h.$metrics.live }, 'host down', 20000)
  }
  await waitFor(xapi, () => { const h = xapi.getObjectByRef(host.$ref)
    return h.enabled && rebootTime < h.other_config.agent_start_time * 1e3 }, 'host enabled and agent up', 30000)
  await waitFor(xapi, () => xapi.getObjectByRef(host.$ref).$metrics.live, 'metrics live', 30000)
}

async function main() {
  const xapi = createClient({ url, auth: { user: 'root', password: 'secret' }, allowUnauthorized: true,
    eventPollDelay: 500 })  // retry quickly after HOST_STILL_BOOTING (default 60 s)
  clients.push(xapi)
  await xapi.connect()
  await xapi.objectsFetched
  const master = xapi.pool.$master
  const hosts = Object.values(xapi.objects.all).filter(o => o.$type === 'host')
  const supporter = hosts.find(h => h.$ref !== master.$ref)

  // 1. live migration inside the pool: resident_on follows through events
  const vm = vmsOf(xapi).find(v => v.power_state === 'Running' && !isLocal(xapi, v))
  const dest = hosts.find(h => h.$ref !== vm.$resident_on.$ref)
  await xapi.callAsync('VM.pool_migrate', vm.$ref, dest.$ref, {})
  await waitFor(xapi, () => xapi.getObjectByRef(vm.$ref).resident_on === dest.$ref, 'resident_on moved')
  const halted = vmsOf(xapi).find(v => v.power_state === 'Halted')
  await assert.rejects(xapi.callAsync('VM.pool_migrate', halted.$ref, dest.$ref, {}),
    e => e.code === 'VM_BAD_POWER_STATE' && e.params[1] === 'running' && e.params[2] === 'halted')
  console.log('ok - VM.pool_migrate')

  // 2. storage migration within the pool (XO's migrateVm: migrate_receive then migrate_send)
  const mover = vmsOf(xapi).find(v => v.power_state === 'Running' && isLocal(xapi, v))
  if (mover) {
    const target = hosts.find(h => h.$ref !== mover.$resident_on.$ref)
    const nfs = Object.values(xapi.objects.all).find(o => o.$type === 'SR' && o.type === 'nfs')
    const mgmt = target.$PIFs.find(p => p.management).$network
    const token = await xapi.call('host.migrate_receive', target.$ref, mgmt.$ref, {})
    const vdis = {}
    for (const b of mover.$VBDs) if (b.type === 'Disk' && b.$VDI) vdis[b.VDI] = nfs.$ref
    await assert.rejects(xapi.callAsync('VM.assert_can_migrate', mover.$ref, token, true, vdis, { x: 'y' }, { force: 'false' }),
      e => e.code === 'OPERATION_NOT_ALLOWED')
    await xapi.callAsync('VM.assert_can_migrate', mover.$ref, token, true, vdis, {}, { force: 'false' })
    await xapi.callAsync('VM.migrate_send', mover.$ref, token, true, vdis, {}, { force: 'false' })
    await waitFor(xapi, () => { const v = xapi.getObjectByRef(mover.$ref)
      return v.resident_on === target.$ref && !isLocal(xapi, v) }, 'storage migrated')
    console.log('ok - VM.migrate_send with storage motion')
  }

  // 3. revert to a snapshot
  const snapRef = await xapi.callAsync('VM.snapshot', halted.$ref, 'before change')
  await xapi.call('VM.set_name_description', halted.$ref, 'changed')
  await xapi.callAsync('VM.revert', snapRef)
  await waitFor(xapi, () => xapi.getObjectByRef(halted.$ref).parent === snapRef, 'reverted')
  console.log('ok - VM.revert')

  // 4. errors keep XAPI's code and params
  const busyPbd = Object.values(xapi.objects.all).find(o => o.$type === 'PBD' && o.$SR.type === 'nfs' &&
    vmsOf(xapi).some(v => v.power_state === 'Running' && v.resident_on === o.host &&
      v.$VBDs.some(b => b.currently_attached && b.$VDI && b.$VDI.SR === o.SR)))
  if (busyPbd) await assert.rejects(xapi.callAsync('PBD.unplug', busyPbd.$ref), e => e.code === 'VDI_IN_USE' && e.params.length > 0)
  await assert.rejects(xapi.callAsync('host.reboot', supporter.$ref), e => e.code === 'HOST_NOT_DISABLED')
  console.log('ok - XAPI errors')

  // 4b. SR.create / SR.destroy as the gateway's POST and DELETE /srs make them (XO's SrService)
  await assert.rejects(xapi.call('SR.create', master.$ref, { server: '10.0.0.9' }, 0, 'x', '', 'nfs', 'user', true, {}),
    e => e.code === 'SR_BACKEND_FAILURE_101' && e.params[1] === 'The request is missing the serverpath parameter')
  await assert.rejects(xapi.call('SR.create', master.$ref, {}, 0, 'x', '', 'nosuchdriver', 'user', false, {}),
    e => e.code === 'SR_UNKNOWN_DRIVER' && e.params[0] === 'nosuchdriver')
  const newSr = await xapi.call('SR.create', master.$ref, { server: '10.0.0.9', serverpath: '/new' }, 0,
    'made by xen-api', '', 'NFS', 'user', true, {})
  await waitFor(xapi, () => { const sr = xapi.getObjectByRef(newSr, undefined)
    return sr && sr.type === 'nfs' && sr.PBDs.length === hosts.length && sr.$PBDs.every(p => p && p.currently_attached) },
    'a shared SR with a plugged PBD on every host')
  await assert.rejects(xapi.call('SR.destroy', newSr), e => e.code === 'SR_HAS_PBD' && e.params[0] === newSr)
  const onNew = await xapi.call('VDI.create', { SR: newSr, virtual_size: 1048576, name_label: 'd', name_description: '',
    type: 'user', sharable: false, read_only: false, other_config: {}, xenstore_data: {}, sm_config: {}, tags: [] })
  for (const pbd of xapi.getObjectByRef(newSr).PBDs) await xapi.callAsync('PBD.unplug', pbd)
  await assert.rejects(xapi.call('SR.destroy', newSr), e => e.code === 'SR_NOT_EMPTY')
  await xapi.call('VDI.destroy', onNew)
  await xapi.call('SR.destroy', newSr)
  await waitFor(xapi, () => xapi.getObjectByRef(newSr, undefined) === undefined, 'SR gone')
  const local = await xapi.call('SR.create', supporter.$ref, { device: '/dev/sdb' }, 0, 'local', '', 'ext', 'user', false, {})
  await waitFor(xapi, () => { const sr = xapi.getObjectByRef(local, undefined)
    return sr && sr.PBDs.length === 1 && sr.$PBDs[0] && sr.$PBDs[0].host === supporter.$ref }, 'a local SR on its host only')
  console.log('ok - SR.create and SR.destroy')

  // 5. a hung call cancelled through task.cancel
  await control('hang', { method: 'VM.clone' })
  const taskRef = await xapi.call('Async.VM.clone', halted.$ref, 'never')
  await new Promise(r => setTimeout(r, 300))
  assert.equal((await xapi.call('task.get_status', taskRef)), 'pending')
  await xapi.call('task.cancel', taskRef)
  await assert.rejects(xapi.watchTask(taskRef))
  assert.equal((await xapi.call('task.get_status', taskRef)), 'cancelled')
  console.log('ok - hang and cancel')

  // 6. rolling reboot steps: a supporter, then the master (the client rides the restart)
  await rebootStep(xapi, supporter)
  console.log('ok - supporter rebooted')
  await rebootStep(xapi, master)
  const pools = await xapi.call('pool.get_all')
  assert.deepEqual(pools, [xapi.pool.$ref])
  console.log('ok - master rebooted, client reconnected')
}

main().then(() => finish(0), err => { console.error('FAIL:', err); finish(1) })
