#!/usr/bin/env node
// Filter benchmark: lib/filter (via filter_bench, RapidJsonView) against npm complex-matcher
// on the same 10,000 XO-VM-shaped objects, in the same run. Prints objects/s and the ratio.
//   node filter_bench.js --bin <filter_bench> --npm <dir with node_modules> [--vms 10000]
'use strict'
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const args = process.argv.slice(2)
const opt = (name, def) => { const i = args.indexOf('--' + name); return i === -1 ? def : args[i + 1] }
const bin = opt('bin')
const cm = require(path.join(path.resolve(opt('npm')), 'node_modules', 'complex-matcher'))
cm.Comparison.prototype.match = function (value) { return this._comparator(value, this._value) } // XO 1.1.x
const nVms = Number(opt('vms', 10000))

let seed = 42
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
const pick = a => a[Math.floor(rnd() * a.length)]
const hex = n => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('')
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`
const pool = uuid()
const vm = i => {
  const running = rnd() < 0.6
  const id = uuid()
  return {
    type: 'VM', addresses: running ? { '0/ipv4/0': `10.0.${i % 250}.${i % 200}`, '0/ipv6/0': `fe80::${hex(4)}` } : {},
    affinityHost: undefined, auto_poweron: rnd() < 0.3, bios_strings: { 'bios-vendor': 'Xen', 'system-manufacturer': 'Xen' },
    blockedOperations: rnd() < 0.1 ? { destroy: 'protected' } : {}, boot: { order: 'cd', firmware: pick(['bios', 'uefi']) },
    CPUs: { max: pick([1, 2, 4, 8]), number: pick([1, 2, 4, 8]) }, current_operations: {},
    expNestedHvm: false, isNestedVirtEnabled: false, viridian: true, mainIpAddress: running ? `10.0.${i % 250}.${i % 200}` : undefined,
    high_availability: pick(['', '', 'restart', 'best-effort']), isFirmwareSupported: true,
    memory: { dynamic: [1073741824, 4294967296], static: [536870912, 8589934592], size: 4294967296, usage: running ? 2147483648 : undefined },
    installTime: 1690000000 + i, name_description: pick(['', 'Nginx frontend', 'PostgreSQL 16', 'build agent', 'Windows Server 2022']),
    name_label: `${pick(['web', 'db', 'ci', 'app', 'cache'])}-${pick(['prod', 'staging', 'dev'])}-${i}`,
    other: { 'xo:backup:job': rnd() < 0.3 ? uuid() : undefined, base_template_name: 'Debian Bookworm 12', import_task: 'OpaqueRef:' + uuid() },
    os_version: running ? { name: 'Debian GNU/Linux 12', uname: '6.1.0-18-amd64', distro: 'debian', major: '12' } : null,
    power_state: running ? 'Running' : pick(['Halted', 'Halted', 'Suspended', 'Paused']), hasVendorDevice: false,
    resourceSet: undefined, snapshots: Array.from({ length: Math.floor(rnd() * 4) }, uuid), startDelay: 0,
    startTime: running ? 1700000000 + i : null, secureBoot: false, tags: rnd() < 0.4 ? [pick(['prod', 'backup', 'web', 'db'])] : [],
    VIFs: [uuid()], VTPMs: [], virtualizationMode: pick(['hvm', 'pvh']), xenStoreData: { 'vm-data': '' },
    managementAgentDetected: running, pvDriversDetected: running, $container: running ? uuid() : pool, $VBDs: [uuid(), uuid()],
    VGPUs: [], $VGPUs: [], vga: 'std', videoram: 8, coresPerSocket: 1, nicType: undefined,
    id, uuid: id, $pool: pool, $poolId: pool, _xapiRef: 'OpaqueRef:' + uuid(),
  }
}
const vms = JSON.parse(JSON.stringify(Array.from({ length: nVms }, (_, i) => vm(i))))
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'filter-bench-')), 'vms.json')
fs.writeFileSync(file, JSON.stringify(vms))

const filters = [
  ['bare word', 'prod'],
  ['property', 'power_state:Running'],
  ['tag', 'tags:backup'],
  ['regex', 'name_label:/^db-.*-1\\d*$/i'],
  ['nested comparison', 'CPUs:number:>2'],
  ['or-group of 3 properties', '|(power_state:Halted auto_poweron? high_availability:restart)'],
]
const ourScan = f => execFileSync(bin, [file, f]).toString().trim().split('\t').map(Number)

const nodeScan = f => {
  const pred = cm.parse(f).createPredicate()
  const scan = () => vms.reduce((n, o) => n + (pred(o) ? 1 : 0), 0)
  const matches = scan()
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 } // includes V8's GC threads
  const start = cpuMs()
  let scans = 0, ms = 0
  do { scan(); ++scans; ms = cpuMs() - start } while (ms < 300)
  const t = cpuMs()
  let parses = 0
  do { cm.parse(f); ++parses } while (cpuMs() - t < 50)
  return [ms / scans, matches, (cpuMs() - t) * 1000 / parses]
}
// The machine is shared: interleave the two sides per filter and keep the best of 3 rounds.
const rounds = Number(opt('rounds', 3))
console.log(`filter benchmark: ${nVms} XO-VM-shaped objects; lib/filter (Filter::Matcher over RapidJsonView) vs ` +
  `complex-matcher (Node ${process.version}, 1.1.x comparisons); CPU time, interleaved, best of ${rounds} rounds of >= 300 ms`)
console.log('filter'.padEnd(70) + 'ours ms/scan  ours Mobj/s  node ms/scan  node Mobj/s  ratio  matches  compile us (ours/node)')
let ok = true
filters.forEach(([name, f]) => {
  let ourMs = Infinity, nodeMs = Infinity, ourUs = Infinity, nodeUs = Infinity, ourMatches, nodeMatches
  for (let r = 0; r < rounds; ++r) {
    const [ms, m, us] = ourScan(f)
    ourMs = Math.min(ourMs, ms)
    ourUs = Math.min(ourUs, us)
    ourMatches = m
    const [nms, nm, nus] = nodeScan(f)
    nodeMs = Math.min(nodeMs, nms)
    nodeUs = Math.min(nodeUs, nus)
    nodeMatches = nm
  }
  if (ourMatches !== nodeMatches) ok = false
  console.log(`${(name + ': ' + f).padEnd(70)}${ourMs.toFixed(3).padStart(12)}  ${(nVms / ourMs / 1000).toFixed(2).padStart(11)}  ` +
    `${nodeMs.toFixed(3).padStart(12)}  ${(nVms / nodeMs / 1000).toFixed(2).padStart(11)}  ${(nodeMs / ourMs).toFixed(1).padStart(5)}x  ` +
    `${String(ourMatches).padStart(7)}${ourMatches === nodeMatches ? '' : ' != ' + nodeMatches}  ` +
    `${ourUs.toFixed(1)}/${nodeUs.toFixed(1)}`)
})
fs.rmSync(path.dirname(file), { recursive: true })
if (!ok) { console.error('MISMATCH between lib/filter and complex-matcher'); process.exit(1) }
