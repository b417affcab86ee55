#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""bench/kube_sync.py - the live-sync benchmarks of issue 3, driven from the server network
namespace that bench/kube_sync.sh set up (tests/netns/lib.sh's topology). Not run directly.

1. Initial sync: the fixture (tests/kube/fixture.py) is loaded with a generated List; the same
   lists are first paged through by a client that only reads them ("fixture alone"), then
   xdpdns starts with --kubeconfig and --pods verified. Timed from just before the daemon is
   started to its "xdpdns: info: ready" line and to the first answer of a known name seen by
   the prober in the client namespace; the daemon's VmHWM and VmRSS are read from
   /proc/PID/status.
2. Programming latency (--changes N > 0): N changes through the control port, one at a time.
   For each, the prober first sees the old data ("arm"), then the change is made; the
   fixture records when it emitted the event and when a watch wrote it (GET /timing/RV,
   CLOCK_MONOTONIC); the prober timestamps the first answer that shows the new data. After
   each answer the driver waits until the daemon is idle, so no change queues behind the
   previous one's work.

Only "xdpdns: info: ready" is required from the daemon's log; its publish lines
("maps: ... N ms") are summarized when present. Figures are printed, never asserted; the exit
status is non-zero when something fails (a change never shows, the daemon dies, ...).
"""
import argparse
import http.client
import ipaddress
import json
import os
import re
import signal
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ZONE = 'cluster.local'
READY_LINE = 'xdpdns: info: ready'
PUBLISH_RE = re.compile(r'xdpdns: info: maps: .*, ([0-9.]+) ms$')
FIRST_SYNC_RE = re.compile(r'kube: first sync complete')
LIST_PATHS = ['/api/v1/namespaces', '/api/v1/services',
	      '/apis/discovery.k8s.io/v1/endpointslices', '/api/v1/pods']
PAGE_LIMIT = 500		# the daemon's page size (userspace/kube/watch.h)
IDLE_WINDOW = 0.02		# the daemon is idle: under IDLE_CPU_NS of CPU in this many seconds
IDLE_CPU_NS = 1000000
NEW_CLUSTER_IPS = ipaddress.IPv4Address('10.104.0.0')	# in 10.96.0.0/12, above gen-objects'
NEW_ENDPOINTS = ipaddress.IPv4Address('10.250.0.0')	# in 10.128.0.0/9, above gen-objects'
KINDS = ('clusterip', 'endpoint-add', 'endpoint-remove', 'create', 'delete')


class BenchError(Exception):
	pass


def log(msg):
	print('# ' + msg, flush=True)


def mono():
	return time.monotonic_ns()


def cpu_total_ns(pid):
	"""CPU time of pid so far, threads that have ended included (/proc/PID/stat utime +
	stime, in clock ticks): the daemon's loader and fill threads end before ready."""
	with open('/proc/%d/stat' % pid) as f:
		fields = f.read().rsplit(')', 1)[1].split()
	return (int(fields[11]) + int(fields[12])) * 1000000000 // os.sysconf('SC_CLK_TCK')


def cpu_ns(pid):
	"""CPU time of the live threads of pid so far (schedstat: ns on the CPU, for idleness)."""
	total = 0
	d = '/proc/%d/task' % pid
	for tid in os.listdir(d):
		try:
			with open('%s/%s/schedstat' % (d, tid)) as f:
				total += int(f.read().split()[0])
		except (OSError, ValueError, IndexError):
			pass
	return total


# ---- processes ----------------------------------------------------------------------------

class Daemon:
	"""xdpdns with its stderr read line by line and timestamped as it arrives."""

	def __init__(self, cmd, logpath):
		self.lines = []		# (t_ns, line)
		self.cond = threading.Condition()
		self.log = open(logpath, 'w')
		self.t_start = mono()
		self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
					     stderr=subprocess.PIPE)
		self.pid = self.proc.pid
		self.reader = threading.Thread(target=self._read, daemon=True)
		self.reader.start()

	def _read(self):
		for raw in self.proc.stderr:
			t = mono()
			line = raw.decode(errors='replace').rstrip('\n')
			self.log.write(line + '\n')
			self.log.flush()
			with self.cond:
				self.lines.append((t, line))
				self.cond.notify_all()
		with self.cond:
			self.cond.notify_all()

	def wait_line(self, pred, timeout):
		"""(t_ns, line) of the first line satisfying pred, or None at the timeout or exit."""
		deadline = time.monotonic() + timeout
		i = 0
		with self.cond:
			while True:
				for t, line in self.lines[i:]:
					if pred(line):
						return t, line
				i = len(self.lines)
				left = deadline - time.monotonic()
				if left <= 0 or (self.proc.poll() is not None and
						 not self.reader.is_alive()):
					return None
				self.cond.wait(min(left, 0.5))

	def status(self, field):
		"""A /proc/PID/status figure in KiB (VmHWM, VmRSS)."""
		with open('/proc/%d/status' % self.pid) as f:
			for line in f:
				if line.startswith(field + ':'):
					return int(line.split()[1])
		raise BenchError('no %s in /proc/%d/status' % (field, self.pid))

	def cpu_ns(self):
		return cpu_ns(self.pid)

	def wait_idle(self, limit=10.0):
		"""Until the daemon used under IDLE_CPU_NS of CPU in IDLE_WINDOW; seconds waited."""
		t0 = time.monotonic()
		c0 = self.cpu_ns()
		while time.monotonic() - t0 < limit:
			time.sleep(IDLE_WINDOW)
			c1 = self.cpu_ns()
			if c1 - c0 < IDLE_CPU_NS:
				return time.monotonic() - t0
			c0 = c1
		raise BenchError('the daemon did not go idle within %.0f s' % limit)

	def alive(self):
		return self.proc.poll() is None

	def stop(self):
		if self.alive():
			self.proc.send_signal(signal.SIGTERM)
			try:
				self.proc.wait(10)
			except subprocess.TimeoutExpired:
				self.proc.kill()
				self.proc.wait()
		self.reader.join(2)
		self.log.close()
		return self.proc.returncode


class Prober:
	"""bench/kube_probe in the client namespace (see its header for the protocol)."""

	def __init__(self, binary, cli_ns, interval_us, timeout_ms):
		self.proc = subprocess.Popen(
			['nsenter', '--net=/run/netns/' + cli_ns, '--', binary, '-i', str(interval_us),
			 '-t', str(timeout_ms)],
			stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

	def send(self, line):
		self.proc.stdin.write(line + '\n')
		self.proc.stdin.flush()

	def read(self):
		line = self.proc.stdout.readline()
		if not line:
			raise BenchError('the prober exited (status %s)' % self.proc.poll())
		return line.split()

	def stop(self):
		try:
			self.send('quit')
			self.proc.stdin.close()
			self.proc.wait(5)
		except (OSError, subprocess.TimeoutExpired):
			self.proc.kill()
			self.proc.wait()


class Control:
	"""The fixture's control port (plain HTTP, keep-alive)."""

	def __init__(self, url):
		u = urllib.parse.urlsplit(url)
		self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

	def call(self, method, path, body=None):
		data = json.dumps(body).encode() if body is not None else None
		self.conn.request(method, '/' + path, body=data,
				  headers={'Content-Type': 'application/json'})
		r = self.conn.getresponse()
		reply = r.read()
		if r.status != 200:
			raise BenchError('control %s /%s: HTTP %d %s' % (method, path, r.status,
									  reply[:200]))
		return json.loads(reply)


def start_fixture(args, fxdir, mf_bytes):
	cmd = [sys.executable, args.fixture, '--dir', fxdir, '--load', args.objects,
	       '--managed-fields-bytes', str(mf_bytes), '--bookmark-interval', '1']
	t0 = time.monotonic()
	proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
				stderr=open(os.path.join(args.tmp, 'fixture.err'), 'w'))
	line = proc.stdout.readline()
	if not line:
		raise BenchError('the fixture did not start (see %s/fixture.err)' % args.tmp)
	info = json.loads(line)
	log('fixture pid %d: loaded in %.1f s, api %s, control %s' %
	    (proc.pid, time.monotonic() - t0, info['api'], info['control']))
	return proc, info


# ---- the fixture alone: page through every list, read and discard -------------------------

def list_alone(info, fxdir):
	u = urllib.parse.urlsplit(info['api'])
	ctx = ssl.create_default_context(cafile=os.path.join(fxdir, 'ca.crt'))
	cont_re = re.compile(rb'"continue":"([^"]*)"')
	res = {}

	def one(path):
		c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
		t0 = mono()
		cont, pages, size = None, 0, 0
		while True:
			q = '?limit=%d' % PAGE_LIMIT + ('&continue=' + cont if cont else '')
			c.request('GET', path + q, headers={'Authorization': 'Bearer ' + info['token']})
			r = c.getresponse()
			body = r.read()
			if r.status != 200:
				res[path] = 'HTTP %d' % r.status
				return
			pages += 1
			size += len(body)
			# metadata (with continue) comes before the items
			m = cont_re.search(body[:4096])
			cont = m.group(1).decode() if m else None
			if not cont:
				break
		res[path] = (mono() - t0, pages, size)
		c.close()

	t0 = mono()
	threads = [threading.Thread(target=one, args=(p,)) for p in LIST_PATHS]
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	total = mono() - t0
	for p in LIST_PATHS:
		if not isinstance(res.get(p), tuple):
			raise BenchError('listing %s alone failed: %s' % (p, res.get(p)))
	return total, res


# ---- figures --------------------------------------------------------------------------------

def pct(sorted_vals, p):
	"""Nearest-rank percentile of an ascending list."""
	k = max(1, -(-len(sorted_vals) * p // 100))
	return sorted_vals[int(k) - 1]


def summary_row(label, vals_ms):
	v = sorted(vals_ms)
	return '%-44s %6d %9.2f %9.2f %9.2f %9.2f %9.2f' % (
		label, len(v), pct(v, 50), pct(v, 90), pct(v, 99), v[-1], statistics.fmean(v))


def udp_in():
	"""Datagrams the server namespace's UDP stack received (v4 and v6, incl. no port)."""
	v = 0
	with open('/proc/net/snmp') as f:
		rows = [line.split() for line in f if line.startswith('Udp:')]
	hdr, vals = rows[0], rows[1]
	for k in ('InDatagrams', 'NoPorts', 'InErrors'):
		v += int(vals[hdr.index(k)])
	with open('/proc/net/snmp6') as f:
		for line in f:
			k, n = line.split()
			if k in ('Udp6InDatagrams', 'Udp6NoPorts', 'Udp6InErrors'):
				v += int(n)
	return v


# ---- the changes ----------------------------------------------------------------------------

class Changes:
	"""The change mix over the generated objects; each change is (kind, method, path, body,
	qname, cond)."""

	def __init__(self, items):
		self.svcs = [it for it in items if it['kind'] == 'Service']
		self.slices = {}
		for it in items:
			if it['kind'] == 'EndpointSlice':
				svc = it['metadata']['labels']['kubernetes.io/service-name']
				self.slices.setdefault((it['metadata']['namespace'], svc), it)
		self.clusterip = [s for s in self.svcs if s['spec'].get('clusterIP') not in
				  (None, '', 'None')]
		self.headless = [s for s in self.svcs if s['spec'].get('clusterIP') == 'None' and
				 (s['metadata']['namespace'], s['metadata']['name']) in self.slices]
		if not self.clusterip or not self.headless:
			raise BenchError('the objects need ClusterIP and headless services')
		self.n_ip = 0
		self.n_ep = 0
		self.added = None	# (slice as it was, headless qname, address)
		self.created = None	# (namespace, name)

	@staticmethod
	def qname(ns, name):
		return '%s.%s.svc.%s' % (name, ns, ZONE)

	def next_ip(self):
		self.n_ip += 1
		return str(NEW_CLUSTER_IPS + self.n_ip)

	def make(self, i):
		kind = KINDS[i % len(KINDS)]
		cycle = i // len(KINDS)
		if kind == 'clusterip':
			s = self.clusterip[(cycle * 7919) % len(self.clusterip)]
			ip = self.next_ip()
			s = dict(s, spec=dict(s['spec'], clusterIP=ip, clusterIPs=[ip]))
			self.clusterip[(cycle * 7919) % len(self.clusterip)] = s
			m = s['metadata']
			return kind, 'PUT', 'objects', s, self.qname(m['namespace'], m['name']), \
				'has=' + ip
		if kind == 'endpoint-add':
			h = self.headless[(cycle * 613) % len(self.headless)]
			m = h['metadata']
			sl = self.slices[(m['namespace'], m['name'])]
			self.n_ep += 1
			addr = str(NEW_ENDPOINTS + self.n_ep)
			ep = {'addresses': [addr], 'hostname': '%s-bench%d' % (m['name'], self.n_ep),
			      'conditions': {'ready': True, 'serving': True, 'terminating': False}}
			grown = dict(sl, endpoints=sl['endpoints'] + [ep])
			q = self.qname(m['namespace'], m['name'])
			self.added = (sl, q, addr)
			return kind, 'PUT', 'objects', grown, q, 'has=' + addr
		if kind == 'endpoint-remove':
			sl, q, addr = self.added
			return kind, 'PUT', 'objects', sl, q, 'lacks=' + addr
		if kind == 'create':
			ns = self.svcs[(cycle * 389) % len(self.svcs)]['metadata']['namespace']
			name = 'bench-%d' % cycle
			ip = self.next_ip()
			obj = {'kind': 'Service', 'apiVersion': 'v1',
			       'metadata': {'name': name, 'namespace': ns},
			       'spec': {'type': 'ClusterIP', 'clusterIP': ip, 'clusterIPs': [ip],
					'ports': [{'name': 'http', 'port': 80, 'protocol': 'TCP'}]}}
			self.created = (ns, name)
			return kind, 'POST', 'objects', obj, self.qname(ns, name), 'has=' + ip
		ns, name = self.created
		return kind, 'DELETE', 'objects/services/%s/%s' % (ns, name), None, \
			self.qname(ns, name), 'rcode=NXDOMAIN'


def one_change(ctl, prober, daemon, ch):
	kind, method, path, body, qname, cond = ch
	prober.send('arm %s A %s' % (qname, cond))
	r = prober.read()
	if r[0] != 'armed':
		raise BenchError('%s %s: before the change the prober says %s' %
				 (kind, qname, ' '.join(r)))
	obj = ctl.call(method, path, body)
	rv = int(obj['metadata']['resourceVersion'])
	r = prober.read()
	if r[0] != 'match':
		raise BenchError('%s %s %s: the change never showed: %s' % (kind, qname, cond,
									 ' '.join(r)))
	t_recv, t_sent, sent, recv = (int(x) for x in r[1:5])
	tm = ctl.call('GET', 'timing/%d' % rv)
	daemon.wait_idle()
	return {'kind': kind, 'emitted': tm['emitted_ns'], 'written': tm['written_ns'],
		'recv': t_recv, 'sent': t_sent, 'queries': sent, 'answers': recv}


# ---- main -----------------------------------------------------------------------------------

def run(args, items, mf_bytes, changes):
	fxdir = os.path.join(args.tmp, 'fx-%d' % mf_bytes)
	print()
	print('======== fixture managedFields %d bytes per object, %s' % (
		mf_bytes, '%d changes after the sync' % changes if changes else 'initial sync only'),
	      flush=True)
	fx, info = start_fixture(args, fxdir, mf_bytes)
	daemon = prober = None
	try:
		total, res = list_alone(info, fxdir)
		mb = sum(r[2] for r in res.values()) / 1e6
		print('fixture alone: the 4 lists, concurrently, pages of %d over TLS, read and '
		      'discarded: %.2f s, %.1f MB' % (PAGE_LIMIT, total / 1e9, mb))
		print('  ' + ', '.join('%s %.2f s (%d pages, %.1f MB)' % (
			p.rsplit('/', 1)[1], r[0] / 1e9, r[1], r[2] / 1e6) for p, r in res.items()),
		      flush=True)

		prober = Prober(args.probe, args.cli_ns, args.interval_us, args.timeout_ms)
		known = Changes.qname('ns-0000', 'svc-00000')
		known_ip = next(s['spec']['clusterIP'] for s in items if s['kind'] == 'Service' and
				s['metadata']['name'] == 'svc-00000')
		prober.send('now')
		prober.read()		# the prober runs before the daemon starts
		cmd = [args.xdpdns, '--interface', args.iface, '--listen', args.listen,
		       '--kubeconfig', info['kubeconfig'], '--pin-dir', args.pin_dir,
		       '--reverse-zone', 'in-addr.arpa,ip6.arpa', '--pods', 'verified',
		       '--xdp-mode', 'native']
		prober.send('wait %s A has=%s' % (known, known_ip))
		fx_cpu0 = cpu_total_ns(fx.pid)
		daemon = Daemon(cmd, os.path.join(args.tmp, 'daemon-%d.log' % mf_bytes))
		log('daemon pid %d: %s' % (daemon.pid, ' '.join(cmd)))
		ready = daemon.wait_line(lambda ln: ln == READY_LINE, args.timeout_ms / 1000)
		if ready is None:
			raise BenchError('the daemon was not ready within %d ms (exit status %s; '
					 'log %s)' % (args.timeout_ms, daemon.proc.poll(),
						      daemon.log.name))
		cpu_ready, fx_cpu = cpu_total_ns(daemon.pid), cpu_total_ns(fx.pid) - fx_cpu0
		with open('/proc/%d/task/%d/schedstat' % (daemon.pid, daemon.pid)) as f:
			cpu_main = int(f.read().split()[0])
		r = prober.read()
		if r[0] != 'match':
			raise BenchError('no answer for %s after ready: %s' % (known, ' '.join(r)))
		t_answer = int(r[1])
		hwm_ready, rss_ready = daemon.status('VmHWM'), daemon.status('VmRSS')
		fs = daemon.wait_line(lambda ln: bool(FIRST_SYNC_RE.search(ln)), 0)
		time.sleep(args.settle)
		rss_settled = daemon.status('VmRSS')
		t0 = daemon.t_start
		print()
		print('initial sync: xdpdns --kubeconfig --pods verified, native XDP on a veth, '
		      'from just before the daemon is started')
		if fs:
			print('  "first sync complete" (every list received; log line, optional): '
			      '%.2f s' % ((fs[0] - t0) / 1e9))
		print('  "xdpdns: info: ready":                       %.2f s' % ((ready[0] - t0) / 1e9))
		print('  first XDP answer %s A %s: %.2f s' % (known, known_ip, (t_answer - t0) / 1e9))
		print('  CPU time from the start to ready: daemon %.2f s (its main thread %.2f s), '
		      'fixture %.2f s' % (cpu_ready / 1e9, cpu_main / 1e9, fx_cpu / 1e9))
		print('  daemon memory: VmHWM %d MiB at ready; VmRSS %d MiB at ready, %d MiB %.0f s '
		      'later' % (hwm_ready // 1024, rss_ready // 1024, rss_settled // 1024, args.settle))
		with open('/proc/%d/status' % fx.pid) as f:
			fx_hwm = next(int(ln.split()[1]) for ln in f if ln.startswith('VmHWM:'))
		print('  (fixture process VmHWM %d MiB)' % (fx_hwm // 1024), flush=True)

		if changes > 0:
			latency(args, items, info, daemon, prober, changes)
		hwm_end = daemon.status('VmHWM')
		print('daemon VmHWM at the end: %d MiB' % (hwm_end // 1024))
		if not daemon.alive():
			raise BenchError('the daemon exited')
	finally:
		if prober:
			prober.stop()
		rc = daemon.stop() if daemon else 0
		fx.send_signal(signal.SIGTERM)
		try:
			fx.wait(10)
		except subprocess.TimeoutExpired:
			fx.kill()
	if rc:
		raise BenchError('the daemon exited with status %d (log: %s)' % (rc, daemon.log.name))


def latency(args, items, info, daemon, prober, n_changes):
	ctl = Control(info['control'])
	changes = Changes(items)
	n_pub0 = len(daemon.lines)
	daemon.wait_idle()
	udp0 = udp_in()
	log('%d warm-up changes, then %d measured' % (args.warmup, n_changes))
	results = []
	t_run = time.monotonic()
	for i in range(args.warmup + n_changes):
		r = one_change(ctl, prober, daemon, changes.make(i))
		if i >= args.warmup:
			results.append(r)
		if (i + 1) % 100 == 0:
			log('%d changes, %.0f s' % (i + 1, time.monotonic() - t_run))
		if not daemon.alive():
			raise BenchError('the daemon exited during the changes')
	udp_delta = udp_in() - udp0
	elapsed = time.monotonic() - t_run
	pubs = [float(PUBLISH_RE.search(ln).group(1)) for _, ln in daemon.lines[n_pub0:]
		if PUBLISH_RE.search(ln)]

	print()
	print('programming latency: %d changes, one at a time, %d services loaded (%d warm-up '
	      'changes before, not counted), %.0f s' % (len(results), len(changes.svcs),
						      args.warmup, elapsed))
	print('  mix, in turn: ClusterIP of a Service changed (PUT); a ready endpoint added to a '
	      'headless Service\'s EndpointSlice (PUT); that endpoint removed (PUT); a ClusterIP '
	      'Service created (POST); that Service deleted (DELETE)')
	print('  from: the fixture recording the event (CLOCK_MONOTONIC, GET /timing/RV); to: the '
	      'prober receiving the first answer that shows it (has the new address / lacks the '
	      'removed one / NXDOMAIN), querying every %d us from the client namespace; the '
	      'prober had seen the old data first; the daemon is idle before each change' %
	      args.interval_us)
	print('  %-42s %6s %9s %9s %9s %9s %9s' % ('ms', 'count', 'p50', 'p90', 'p99', 'max',
						   'mean'))
	# the fixture may not know when it wrote an event (None): such rows are left out
	ms = lambda a, b: [(r[b] - r[a]) / 1e6 for r in results	# noqa: E731
			   if r[a] is not None and r[b] is not None]
	print('  ' + summary_row('event -> XDP answer', ms('emitted', 'recv')))
	print('  ' + summary_row('event -> send of the answered query', ms('emitted', 'sent')))
	print('  ' + summary_row('  of which fixture: event -> written', ms('emitted', 'written')))
	for k in KINDS:
		sel = [(r['recv'] - r['emitted']) / 1e6 for r in results if r['kind'] == k]
		if sel:
			print('  ' + summary_row('event -> XDP answer, ' + k, sel))
	if pubs:
		print('  ' + summary_row('daemon publish, as it logs it (optional)', pubs))
	else:
		print('  daemon publish: not in its log (no "maps: ... ms" lines)')
	print('  target: p99 under 50 ms: %s' % (
		'met' if pct(sorted(ms('emitted', 'recv')), 99) < 50 else 'NOT met'))
	q = sum(r['queries'] for r in results)
	a = sum(r['answers'] for r in results)
	print('  checks: every change showed; %d queries sent, %d answered while waiting; the '
	      'server namespace\'s UDP stack received %d datagrams meanwhile (0: every answer '
	      'came from XDP)' % (q, a, udp_delta), flush=True)


def main():
	p = argparse.ArgumentParser(description='live-sync benchmarks (run by bench/kube_sync.sh)')
	p.add_argument('--objects', required=True)
	p.add_argument('--tmp', required=True)
	p.add_argument('--cli-ns', required=True)
	p.add_argument('--pin-dir', required=True)
	p.add_argument('--iface', required=True)
	p.add_argument('--listen', required=True)
	p.add_argument('--xdpdns', required=True)
	p.add_argument('--probe', required=True)
	p.add_argument('--fixture', required=True)
	p.add_argument('--managed-fields-bytes', default='2048,0',
		       help='the fixture\'s managedFields size; a list runs the sync once per value '
		       '(the changes only with the first)')
	p.add_argument('--changes', type=int, default=1000)
	p.add_argument('--warmup', type=int, default=10)
	p.add_argument('--interval-us', type=int, default=200)
	p.add_argument('--timeout-ms', type=int, default=60000)
	p.add_argument('--settle', type=float, default=5.0)
	args = p.parse_args()
	try:
		mfs = [int(x) for x in args.managed_fields_bytes.split(',')]
		if args.changes < 0 or args.warmup < 0 or any(m < 0 for m in mfs):
			raise ValueError
	except ValueError:
		p.error('--managed-fields-bytes N[,N...] and --changes/--warmup take numbers >= 0')
	try:
		with open(args.objects) as f:
			items = json.load(f)['items']
		counts = {}
		for it in items:
			counts[it['kind']] = counts.get(it['kind'], 0) + 1
		n_ep = sum(len(it.get('endpoints') or []) for it in items
			   if it['kind'] == 'EndpointSlice')
		print('data set: %d Namespaces, %d Services, %d EndpointSlices with %d endpoints, '
		      '%d Pods (%d objects, %s)' %
		      (counts.get('Namespace', 0), counts.get('Service', 0),
		       counts.get('EndpointSlice', 0), n_ep, counts.get('Pod', 0), len(items),
		       os.path.basename(args.objects)), flush=True)
		for i, mf in enumerate(mfs):
			run(args, items, mf, args.changes if i == 0 else 0)
	except BenchError as e:
		print('kube_sync: %s' % e, file=sys.stderr, flush=True)
		return 1
	return 0


if __name__ == '__main__':
	sys.exit(main())
