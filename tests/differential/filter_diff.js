#!/usr/bin/env node
// Differential test of lib/filter against npm complex-matcher: generates (filter, objects)
// cases from a seed, evaluates them with complex-matcher in this process and with our
// filter_eval tool, and requires identical results and identical parse errors.
//   node filter_diff.js --eval <filter_eval> --npm <dir with node_modules> [--seed N]
//        [--filters 3000] [--objects-per-filter 4] [--verbose]
// complex-matcher 0.7.0 answers false for relational comparisons with a non-number operand;
// XO 1.1.x (what we implement) uses JavaScript's own operators. We patch exactly that method
// to 1.1.x's code so the reference is current XO.
'use strict'
const { spawnSync } = require('child_process')
const path = require('path')

const args = process.argv.slice(2)
const opt = (name, def) => {
  const i = args.indexOf('--' + name)
  return i === -1 ? def : args[i + 1]
}
const evalTool = opt('eval')
const npmDir = path.resolve(opt('npm'))
const seedArg = opt('seed', process.env.XR_FILTER_DIFF_SEED || '20261127')
const seed = seedArg === 'random' ? (Date.now() % 2147483647) : Number(seedArg)
const nFilters = Number(opt('filters', 3000))
const perFilter = Number(opt('objects-per-filter', 4))
const verbose = args.includes('--verbose')

const cm = require(path.join(npmDir, 'node_modules', 'complex-matcher'))
cm.Comparison.prototype.match = function (value) {
  return this._comparator(value, this._value) // complex-matcher 1.1.x
}

// --- seeded PRNG (mulberry32) ------------------------------------------------------------
let state = seed >>> 0
const rnd = () => {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const int = n => Math.floor(rnd() * n)
const pick = a => a[int(a.length)]
const chance = p => rnd() < p

// --- objects shaped like XO VMs, hosts and SRs --------------------------------------------
const WORDS = ['web', 'prod', 'DB', 'Test', 'nginx', 'Production', 'backup', 'ΣΟΦΙΑ', 'straße', 'İstanbul',
  'café', 'Ünïcödé', '中文', 'データ', '😀emoji', 'ǅwarf', 'ﬁle', 'Ωmega', 'kelvin', 'ſtrange', 'a\nb', 'tab\there',
  '10.0.0.11', '32', ' 7 ', '0x1F', '1e3', '', '-5', 'Infinity', 'true', 'null', 'xo:backup:job', 'Halted',
  'Running', 'hvm', 'pv', 'Σ', 'ΑΣ ΒΣ', 'ı', 'ǈ', 'Ⅻ', 'ⓐ', '\u2028sep']
const word = () => {
  let w = pick(WORDS)
  if (chance(0.3)) w += '-' + pick(WORDS)
  if (chance(0.2)) w = w.toUpperCase()
  return w
}
const num = () => pick([0, 1, 2, 4, 8, 32, -1, 0.5, 1.5e-7, 1e21, 4294967296, 2147483648, 1700000000, 16, 1000, 10])
const scalar = () => {
  const r = rnd()
  if (r < 0.45) return word()
  if (r < 0.75) return num()
  if (r < 0.85) return chance(0.5)
  return null
}
const value = depth => {
  const r = rnd()
  if (depth > 2 || r < 0.6) return scalar()
  if (r < 0.8) return Array.from({ length: int(4) }, () => value(depth + 1))
  const o = {}
  for (let i = int(4); i > 0; --i) o[pick(['a', 'b', 'x', 'number', 'size', '0', '1', 'name', 'Σ'])] = value(depth + 1)
  // lodash treats an object with a valid numeric length as array-like: keep those short.
  if (chance(0.15)) o.length = pick([0, 1, 2, 3, -1, 1.5, '2', null])
  return o
}
const uuid = () => 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, () => '0123456789abcdef'[int(16)])
const maybe = (o, k, v) => { if (chance(0.8)) o[k] = v }
const vm = () => {
  const o = { type: 'VM', id: uuid() }
  maybe(o, 'name_label', word() + (chance(0.5) ? ' ' + word() : ''))
  maybe(o, 'name_description', chance(0.3) ? '' : word())
  maybe(o, 'power_state', pick(['Running', 'Halted', 'Suspended', 'Paused']))
  maybe(o, 'tags', Array.from({ length: int(4) }, word))
  maybe(o, 'CPUs', { max: pick([1, 2, 4, 8]), number: pick([1, 2, 4, 32, '2', null]) })
  maybe(o, 'memory', { size: num(), dynamic: [num(), num()], static: chance(0.2) ? [num()] : [] })
  maybe(o, 'auto_poweron', chance(0.5))
  maybe(o, 'high_availability', pick(['', 'restart', 'best-effort']))
  maybe(o, 'startTime', pick([null, 1700000000, 0, '5', [10], [], ['7'], [null], [[3]], [1, 2]]))
  maybe(o, 'snapshots', Array.from({ length: int(4) }, uuid))
  maybe(o, 'addresses', { '0/ipv4/0': '10.0.0.' + int(20), '0/ipv6/0': 'fe80::' + int(99) })
  maybe(o, 'other', { 'xo:backup:job': word(), auto_poweron: pick(['true', 'false']), nested: value(0) })
  maybe(o, 'virtualizationMode', pick(['hvm', 'pv', 'pvh']))
  maybe(o, 'xenTools', pick([false, { major: 7, minor: 30, version: '7.30' }]))
  maybe(o, 'misc', value(0))
  o.$pool = uuid()
  o._xapiRef = 'OpaqueRef:' + uuid()
  return o
}
const host = () => ({
  type: 'host', id: uuid(), name_label: word(), address: '192.168.1.' + int(255), enabled: chance(0.5),
  power_state: pick(['Running', 'Halted', 'Unknown']), memory: { usage: num(), size: num() },
  CPUs: { cpu_count: String(pick([4, 8, 16])), modelname: 'Intel(R) Xeon(R) ' + word() }, cpus: { cores: 8, sockets: 2 },
  version: '8.' + int(4), tags: chance(0.5) ? [word()] : [], license_expiry: pick([null, 1700000000]), $pool: uuid(),
})
const sr = () => ({
  type: 'SR', id: uuid(), name_label: word(), SR_type: pick(['nfs', 'lvm', 'ext', 'iso']), size: num(),
  physical_usage: num(), usage: num(), shared: chance(0.5), VDIs: Array.from({ length: int(3) }, uuid),
  other_config: { [word()]: word() }, sm_config: {}, tags: [], $pool: uuid(),
})
const object = () => { const r = rnd(); return r < 0.7 ? vm() : r < 0.85 ? host() : sr() }

// --- filters from the whole grammar ----------------------------------------------------------
const PROPS = ['name_label', 'name_description', 'power_state', 'tags', 'CPUs', 'number', 'max', 'memory', 'size',
  'dynamic', 'auto_poweron', 'high_availability', 'startTime', 'snapshots', 'addresses', 'other', 'xo:backup:job',
  'virtualizationMode', 'xenTools', 'version', 'misc', 'a', 'b', 'x', 'length', '0', '1', '$pool', 'type', 'usage',
  'enabled', 'shared', 'cpus', 'cores', 'Σ', 'nested', 'missing', '0/ipv4/0']
const INHERITED = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'map', 'charAt', 'toFixed']
const quote = s => '"' + s.replace(/[\\"]/g, c => '\\' + c) + '"'
const isRaw = s => s.length > 0 && [...s].every(c => /[0-9_\-.$]/.test(c) || c !== c.toUpperCase() || c !== c.toLowerCase())
const propName = () => { const p = pick(PROPS); return isRaw(p) && chance(0.85) ? p : quote(p) }
const ws = () => pick(['', ' ', ' ', ' ', '  ', '\t', '\u00a0', '\n'])
const NUMTEXT = ['0', '1', '2', '4', '5', '32', '-1', '0.5', '1e3', '0x10', '0b11', '0o7', '1.', '.5', 'Infinity',
  '-Infinity', '1700000000', '2147483648', '16', '1e21', '7']
const globWord = () => {
  let w = word().replace(/[^0-9A-Za-z_\-.$\u00c0-\u024f\u0370-\u03ff]/g, '')
  if (w === '') w = 'a'
  if (chance(0.4)) w = w.slice(0, 1 + int(w.length))
  if (chance(0.3)) { const i = int(w.length + 1); w = w.slice(0, i) + '*' + w.slice(i) }
  return w
}
const REGEX_ATOMS = ['a', 'b', 'prod', 'DB', 'é', 'Σ', 'ß', '.', '\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '[a-z]', '[^a-z]',
  '[0-9]', '[A-Z_]', '[é-ü]', '[\\d-z]', '[-a]', '\\.', '\\-', '\\/', '\\x41', '\\u00e9', '\\t', '\\n', '[]', '[^]',
  '\\u', '\\x4', '\\c', '\\cJ', '\\0', '\\1', '\\8', '{', '}', ']', 'ſ', 'k', 'K', 'İ', 'ı', '😀', '中']
const FIXED_ATOMS = REGEX_ATOMS.filter(a => !['\\u', '\\x4', '\\c', '{', '}'].includes(a))
const fixedLength = () => Array.from({ length: 1 + int(3) }, () => pick(FIXED_ATOMS)).join('')
// We reject backreferences (JavaScript and PCRE2 differ on them): with a group, \1 becomes \8.
const regex = () => {
  const body = regexBody(0)
  return /\((?!\?)|\(\?<[a-z]/.test(body) ? body.replaceAll('\\1', '\\8') : body
}
const regexBody = depth => {
  let s = ''
  for (let n = 1 + int(4); n > 0; --n) {
    const r = rnd()
    let atom
    if (r < 0.1 && depth < 2) atom = '(' + pick(['', '?:', '?=', '?!', '?<g' + int(3) + '>']) + regexBody(depth + 1) + ')'
    else if (r < 0.13) atom = '(' + pick(['?<=', '?<!']) + fixedLength() + ')' // PCRE2 10.42: fixed-length lookbehind
    else atom = pick(REGEX_ATOMS)
    if (chance(0.25) && !atom.startsWith('(?=') && !atom.startsWith('(?!') && !atom.startsWith('(?<')) {
      atom += pick(['*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?'])
    }
    s += atom
  }
  if (chance(0.15)) s = '^' + s
  if (chance(0.15)) s += '$'
  if (chance(0.1)) s += '|' + regexBody(depth + 1)
  if (chance(0.05)) s += pick(['\\b', '\\B'])
  return s
}
const leaf = () => {
  const r = rnd()
  if (r < 0.3) return globWord()
  if (r < 0.45) return pick(NUMTEXT)
  if (r < 0.6) return quote(chance(0.2) ? '' : word())
  if (r < 0.75) return '/' + regex() + '/' + (chance(0.5) ? 'i' : '')
  return pick(['<', '<=', '>', '>=']) + (chance(0.97) ? pick(NUMTEXT) : pick(['abc', '-', '.', '1e']))
}
const term = depth => {
  const r = rnd()
  if (depth > 4 || r < 0.3) return leaf()
  if (r < 0.5) return propName() + ws() + ':' + ws() + term(depth + 1)
  if (r < 0.6) return (chance(0.9) ? propName() : pick(INHERITED)) + '?'
  if (r < 0.7) return '!' + ws() + term(depth + 1)
  if (r < 0.8) return '(' + ws() + terms(depth + 1) + ')'
  if (r < 0.9) return '|' + ws() + '(' + ws() + terms(depth + 1) + ')'
  return pick(INHERITED) + ':' + leaf()
}
const terms = depth => {
  const n = 1 + int(3)
  const out = []
  for (let i = 0; i < n; ++i) out.push(term(depth))
  return out.join(pick([' ', ' ', '  ', '']))
}
const MUTATIONS = ['(', ')', '|', '!', ':', '?', '"', '/', '<', '>', '=', ' ', '*', '\\', 'é', '😀', '中', '[', ',', '@']
const mutate = text => {
  const f = [...text] // by code point: a filter arrives as UTF-8, so it cannot hold a lone surrogate
  const r = rnd()
  const i = int(f.length + 1)
  if (r < 0.4) f.splice(i, 0, pick(MUTATIONS))
  else if (r < 0.7) f.splice(i, 1)
  else f.splice(i)
  return f.join('')
}
const filter = () => {
  let f = ws() + terms(0) + ws()
  if (chance(0.25)) f = mutate(f)
  if (chance(0.03)) f = ''
  return f
}

// Filters aimed at one object: a real property path and a piece of the value found there.
const name = k => (isRaw(k) && chance(0.9) ? k : quote(k))
const caseFlip = t => (chance(0.3) ? t.toUpperCase() : chance(0.3) ? t.toLowerCase() : t)
const valueLeaf = v => {
  if (typeof v === 'string') {
    const cps = [...v]
    const a = int(cps.length + 1), b = a + int(cps.length - a + 1)
    const sub = caseFlip(cps.slice(a, b).join(''))
    const r = rnd()
    if (r < 0.25 && sub !== '' && isRaw(sub)) return sub
    if (r < 0.4 && sub !== '' && isRaw(sub)) { const i = int(cps.length); return [...sub].map((c, k) => (k === i ? '*' + c : c)).join('') }
    if (r < 0.6) return '/' + sub.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&') + '/' + (chance(0.5) ? 'i' : '')
    return quote(sub)
  }
  if (typeof v === 'number') {
    const r = rnd()
    if (r < 0.4 && Number.isFinite(v)) return String(v)
    return pick(['<', '<=', '>', '>=']) + (Number.isFinite(v) ? String(v + pick([0, 0, 1, -1])) : '0')
  }
  if (Array.isArray(v) || (v !== null && typeof v === 'object')) return chance(0.5) ? '*' : pick(['<1', '>0', '""'])
  return pick(['<1', '>=1', '>0', '*'])
}
const derived = o => {
  let v = o
  const path = []
  for (let depth = 0; depth < 3 && v !== null && typeof v === 'object'; ++depth) {
    const keys = Array.isArray(v) ? [...v.keys()].map(String).concat(['length']) : Object.keys(v)
    if (keys.length === 0 || (depth > 0 && chance(0.3))) break
    const k = pick(keys)
    path.push(k)
    v = k === 'length' && Array.isArray(v) ? v.length : v[k]
  }
  if (path.length > 0 && chance(0.2)) { const last = path.pop(); return (chance(0.3) ? '!' : '') + path.map(name).join(':') + (path.length ? ':' : '') + name(last) + '?' }
  return (chance(0.15) ? '!' : '') + path.map(name).join(':') + (path.length ? ':' : '') + valueLeaf(v)
}

// --- run -----------------------------------------------------------------------------------
const reference = (f, objects) => {
  let pred
  try {
    pred = cm.parse(f).createPredicate()
  } catch (e) {
    return { error: e.message, kind: e.constructor.name }
  }
  return { out: objects.map(o => (pred(o) ? '1' : '0')).join('') }
}

const cases = []
for (let i = 0; i < nFilters; ++i) {
  const objects = Array.from({ length: perFilter }, () => JSON.parse(JSON.stringify(object())))
  let f
  if (chance(0.35)) {
    f = Array.from({ length: 1 + int(2) }, () => derived(objects[0])).join(' ')
    if (chance(0.2)) f = '|(' + f + ' ' + derived(objects[1]) + ')'
  } else {
    f = filter()
  }
  cases.push({ f, objects })
}
const input = cases.map(c => JSON.stringify({ filter: c.f, objects: c.objects })).join('\n') + '\n'
if (opt('dump')) require('fs').writeFileSync(opt('dump'), input)
let t0 = Date.now()
const run = spawnSync(evalTool, [], { input, maxBuffer: 1 << 28 })
if (run.status !== 0) {
  console.error(`filter_eval failed (status ${run.status}, signal ${run.signal}): ${run.stderr}`)
  process.exit(2)
}
const ourMs = Date.now() - t0
t0 = Date.now()
const ours = run.stdout.toString().split('\n')
let mismatches = 0, unsupported = 0, errors = 0, matches = 0, pairs = 0
const refusedBy = {}
// The reasons lib/filter refuses a regex for (JavaScript and PCRE2 would differ), each listed
// in lib/filter/README.md; the last is PCRE2's own word for a variable-length lookbehind.
const JUSTIFIED = [
  'a backreference', 'a quantified lookahead', 'a repeat count above 65535',
  'nesting deeper than 64 groups', 'a group name with escapes or non-ASCII characters',
  '\\k in a class of a pattern with named groups', 'lookbehind assertion is not fixed length',
]
const justifiedRefusal = got => JUSTIFIED.find(r => got.endsWith(': ' + r))
const same = (ref, got) => {
  if (ref.out !== undefined) return got === ref.out
  if (!got.startsWith('E')) return false
  const msg = got.slice(1)
  if (ref.kind === 'SyntaxError') return /^(Invalid|Unsupported) regular expression/.test(msg)
  return msg === ref.error
}
cases.forEach((c, i) => {
  const ref = reference(c.f, c.objects)
  const got = ours[i]
  pairs += c.objects.length
  if (ref.out === undefined) ++errors
  else matches += [...ref.out].filter(x => x === '1').length
  if (got.startsWith('EUnsupported regular expression')) {
    // Our documented choice (lib/filter/README.md): a pattern PCRE2 would read differently
    // from JavaScript is refused, even when complex-matcher would have failed later on another
    // part of the filter. Only for the listed reasons: any other refusal of a filter that
    // complex-matcher accepts is a mismatch (a translator refusing \S must fail this test).
    const reason = justifiedRefusal(got)
    if (reason !== undefined || ref.out === undefined) {
      ++unsupported
      refusedBy[reason ?? 'rejected by complex-matcher too'] = (refusedBy[reason ?? 'rejected by complex-matcher too'] ?? 0) + 1
      if (verbose) console.log(`unsupported regex, case ${i}: ${got}`)
      return
    }
  }
  if (!same(ref, got)) {
    ++mismatches
    if (mismatches <= 20) {
      console.log(`MISMATCH seed=${seed} case=${i} filter=${JSON.stringify(c.f)}`)
      console.log(`  complex-matcher: ${JSON.stringify(ref)}  ours: ${JSON.stringify(got)}`)
      if (verbose || mismatches <= 5) console.log(`  objects: ${JSON.stringify(c.objects)}`)
    }
  }
})
console.log(`seed=${seed}: ${nFilters} filters, ${pairs} (filter, object) pairs, ${errors} filters rejected by both, ` +
  `${matches} matches, ${unsupported} filters refused as unsupported regexes ${JSON.stringify(refusedBy)}, ${mismatches} mismatching filters (filter_eval ${ourMs} ms, complex-matcher ${Date.now() - t0} ms)`)
process.exit(mismatches === 0 ? 0 : 1)
