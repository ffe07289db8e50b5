// The harness both xen-api drivers of the simulator share: XO's own client (npm xen-api, from
// XR_NPM_DIR), a simulator started for the test and stopped by finish(), its control endpoint,
// and a wait on the client's object stream.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL, fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const npmDir = process.env.XR_NPM_DIR
if (!npmDir) throw new Error('XR_NPM_DIR is not set')
export const { createClient } = await import(pathToFileURL(path.join(npmDir, 'node_modules/xen-api/index.mjs')).href)

// Starts a 20-VM, 3-host simulator; `finish(code)` disconnects `clients`, stops it and exits;
// a watchdog fails the test after timeoutMs.
export async function startSim({ opDelay, xmlRpc = false, tls = false, timeoutMs }) {
  if (tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0' // our fetch() to the control endpoint
  const stateDir = mkdtempSync(path.join(tmpdir(), 'xen-api-sim-'))
  const sim = spawn('/usr/bin/python3', [path.join(here, '..', 'xapi-sim'), '--port', '0', '--vms', '20',
    '--hosts', '3', '--seed', '3', '--op-delay', String(opDelay), '--serve-supporters', '--no-dataplane',
    '--state-dir', stateDir, ...(xmlRpc ? ['--no-jsonrpc'] : []), ...(tls ? ['--tls'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolve, reject) => {
    let buf = ''
    sim.stdout.on('data', d => {
      buf += d
      const m = /xapi-sim listening on (\S+)/.exec(buf)
      if (m) resolve(m[1])
    })
    sim.on('exit', code => reject(new Error('simulator exited ' + code)))
  })
  const clients = []
  const watchdog = setTimeout(() => { console.error('FAIL: timeout'); finish(1) }, timeoutMs)
  function finish(code) {
    clearTimeout(watchdog)
    Promise.allSettled(clients.map(c => c.disconnect())).finally(() => {
      const done = () => { rmSync(stateDir, { recursive: true, force: true }); process.exit(code) }
      if (sim.exitCode !== null || sim.signalCode !== null) return done()
      sim.on('exit', done)
      sim.kill('SIGTERM')
    })
  }
  async function control(command, args = {}) {
    const res = await fetch(`${url}/_sim/${command}`, { method: 'POST', body: JSON.stringify(args),
      headers: { 'content-type': 'application/json' } })
    const body = await res.json()
    if (res.status !== 200) throw new Error(`control ${command}: ${JSON.stringify(body)}`)
    return body.result
  }
  return { url, port: new URL(url).port, clients, finish, control }
}

// Resolves when pred(xapi) becomes true (checked on every object change).
export function waitFor(xapi, pred, what, ms = 10000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      let v
      try { v = pred() } catch { v = undefined }
      if (v) { cleanup(); resolve(v) }
    }
    const timer = setTimeout(() => { cleanup(); reject(new Error('timed out waiting for ' + what)) }, ms)
    const cleanup = () => { clearTimeout(timer); for (const e of ['add', 'update', 'remove']) xapi.objects.removeListener(e, check) }
    for (const e of ['add', 'update', 'remove']) xapi.objects.on(e, check)
    check()
  })
}

export const vmsOf = xapi => Object.values(xapi.objects.all).filter(o => o.$type === 'VM' && !o.is_a_template && !o.is_control_domain)
