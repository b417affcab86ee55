#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/kube/fixture.py - a Kubernetes API server for the tests: the list/watch protocol of the
# real kube-apiserver for Namespaces, Services, Pods and EndpointSlices (discovery.k8s.io/v1),
# driven by the tests over a separate plain-HTTP control port. Debian's /usr/bin/python3 and the
# standard library only; certificates come from the openssl command line.
#
# Command line, control interface and the protocol facts reproduced: tests/kube/README.md.
#
# Contract: once it serves, it prints ONE line of JSON on stdout ({"api": URL, "control": URL,
# "kubeconfig": PATH, "pid": N}) and writes the same to DIR/fixture.json; it never prints
# anything else on stdout (logs go to stderr). SIGTERM/SIGINT, or POST /shutdown, stop it and
# write the state file when --state is given.

import argparse
import base64
import bisect
import collections
import copy
import datetime
import http.server
import json
import os
import random
import secrets
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

# resource -> (kind, apiVersion, namespaced, group prefix, short names, singular)
RESOURCES = {
	'namespaces': ('Namespace', 'v1', False, '/api/v1', ['ns'], 'namespace'),
	'services': ('Service', 'v1', True, '/api/v1', ['svc'], 'service'),
	'pods': ('Pod', 'v1', True, '/api/v1', ['po'], 'pod'),
	'endpointslices': ('EndpointSlice', 'discovery.k8s.io/v1', True,
			   '/apis/discovery.k8s.io/v1', [], 'endpointslice'),
}
KIND_TO_RESOURCE = {v[0]: k for k, v in RESOURCES.items()}

# What a real server's BOOKMARK object holds besides kind/apiVersion/metadata: the Go zero value
# of the type, serialized (creationTimestamp null, nil slices as null, empty structs as {}).
BOOKMARK_RESIDUE = {
	'namespaces': {'spec': {}, 'status': {}},
	'services': {'spec': {}, 'status': {'loadBalancer': {}}},
	'pods': {'spec': {'containers': None}, 'status': {}},
	'endpointslices': {'addressType': '', 'endpoints': None},
}

EXPIRED_CONTINUE_MSG = (
	'The provided continue parameter is too old to display a consistent list result. You can '
	'start a new list without the continue parameter, or use the continue token in this '
	'response to retrieve the remainder of the results. Continuing with the provided token '
	'results in an inconsistent list - objects that were created, modified, or deleted between '
	'the time the first chunk was returned and now may show up in the list.')

log_lock = threading.Lock()
verbose = False


def log(msg):
	if not verbose:
		return
	with log_lock:
		sys.stderr.write('fixture: %s\n' % msg)
		sys.stderr.flush()


def now_ts():
	return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def status_obj(code, reason, message, details=None, meta=None):
	s = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': meta or {}, 'status': 'Failure',
	     'message': message, 'reason': reason, 'code': code}
	if details is not None:
		s['details'] = details
	return s


def jdump(obj):
	return json.dumps(obj, separators=(',', ':'))


class ApiError(Exception):
	def __init__(self, code, reason, message, details=None, meta=None):
		super().__init__(message)
		self.code = code
		self.status = status_obj(code, reason, message, details, meta)


# ---------------------------------------------------------------------------------------------
# Object store: one global resourceVersion counter, full history of changes since the last
# compaction (each entry keeps the previous object so that any snapshot RV >= compacted can be
# rebuilt for paged lists).
# ---------------------------------------------------------------------------------------------

def managed_fields_of(obj, target):
	"""A managedFields list shaped like a real one (FieldsV1 sets mirroring the object's own
	fields), at least TARGET bytes of JSON."""

	def fields(v, depth=0):
		if isinstance(v, dict):
			out = {'.': {}} if depth > 0 else {}
			for k, sub in v.items():
				if depth == 0 and k in ('kind', 'apiVersion'):
					continue
				if depth == 1 and k in ('resourceVersion', 'uid', 'creationTimestamp',
							'managedFields', 'name', 'namespace'):
					continue
				out['f:' + k] = fields(sub, depth + 1)
			return out
		if isinstance(v, list):
			out = {'.': {}}
			for i, item in enumerate(v):
				if isinstance(item, dict):
					key = {kk: vv for kk, vv in item.items()
					       if kk in ('name', 'port', 'protocol', 'ip', 'containerPort')
					       and not isinstance(vv, (dict, list))}
					if not key:
						key = {'idx': i}
					out['k:' + jdump(key)] = fields(item, depth + 1)
				else:
					out['v:' + jdump(item)] = {}
			return out
		return {}

	managers = [('kubectl-client-side-apply', 'Update'), ('kube-controller-manager', 'Update'),
		    ('helm', 'Update'), ('argocd-application-controller', 'Apply'),
		    ('kustomize-controller', 'Apply'), ('kube-apiserver', 'Update')]
	base = fields(obj)
	# Every entry shares the one fieldsV1 tree: stored objects are never modified in place,
	# and copying it per entry made loading 160,000 objects take minutes.
	base_len = len(jdump(base))
	out = []
	size = 1			# the list's '[' (its ']' is counted with the first entry)
	ts = obj.get('metadata', {}).get('creationTimestamp') or now_ts()
	api = obj.get('apiVersion', 'v1')
	# an entry's JSON is this template's with the manager and operation in place of ''
	fixed = len(jdump({'manager': '', 'operation': '', 'apiVersion': api, 'time': ts,
			   'fieldsType': 'FieldsV1', 'fieldsV1': None})) - len('null') + base_len
	i = 0
	while True:
		m, op = managers[i % len(managers)]
		entry = {'manager': m if i < len(managers) else '%s-%d' % (m, i), 'operation': op,
			 'apiVersion': api, 'time': ts, 'fieldsType': 'FieldsV1', 'fieldsV1': base}
		size += fixed + len(entry['manager']) + len(op) + 1	# ',' or ']'
		if i % 2 == 1:
			entry['subresource'] = 'status'
			size += len(',"subresource":"status"')
		out.append(entry)
		i += 1
		if size >= target or i >= 64:
			return out


class Store:
	def __init__(self, first_rv=1000, history_max=100000, mf_bytes=2048):
		self.cond = threading.Condition()
		self.rv = first_rv
		self.objects = {r: {} for r in RESOURCES}	# resource -> key -> object (no kind)
		self.history = []		# (rv, resource, type, obj, prev, key)
		self.compacted = first_rv	# history holds every event with rv > compacted
		self.history_max = history_max
		self.mf_bytes = mf_bytes
		# key -> (object, its JSON): every stored object is encoded once, when it is stored,
		# so that a list of 100,000 objects is mostly a join of bytes
		self.encoded = {r: {} for r in RESOURCES}
		# (resource, rv) -> (objects, their keys sorted): the snapshot of a paged list, kept
		# for its later pages (a snapshot at an RV never changes)
		self.snapshots = collections.OrderedDict()
		# rv -> [emitted, written]: CLOCK_MONOTONIC ns when the event was recorded and when
		# a watch first wrote it to its connection (None until then); GET /timing/RV
		self.timing = {}

	@staticmethod
	def key_of(resource, meta):
		if RESOURCES[resource][2]:
			return '%s/%s' % (meta.get('namespace', ''), meta.get('name', ''))
		return meta.get('name', '')

	@staticmethod
	def resource_of(obj):
		kind = obj.get('kind') if isinstance(obj, dict) else None
		if kind not in KIND_TO_RESOURCE:
			raise ApiError(400, 'BadRequest', 'unsupported kind %r' % (kind,))
		return KIND_TO_RESOURCE[kind]

	@staticmethod
	def with_kind(resource, obj):
		kind, api = RESOURCES[resource][0], RESOURCES[resource][1]
		out = {'kind': kind, 'apiVersion': api}
		out.update(obj)
		return out

	def _normalize(self, resource, obj, prev):
		obj = json.loads(jdump(obj))	# a deep copy; objects are JSON, and this is faster
		obj.pop('kind', None)
		obj.pop('apiVersion', None)
		meta = obj.setdefault('metadata', {})
		if not isinstance(meta, dict) or not isinstance(meta.get('name'), str) or \
		   not meta['name']:
			raise ApiError(422, 'Invalid', 'metadata.name: Required value')
		if RESOURCES[resource][2]:
			meta.setdefault('namespace', 'default')
		else:
			meta.pop('namespace', None)
		if prev is not None:
			meta['uid'] = prev['metadata']['uid']
			meta['creationTimestamp'] = prev['metadata']['creationTimestamp']
		else:
			meta.setdefault('uid', str(uuid.uuid4()))
			meta.setdefault('creationTimestamp', now_ts())
		if resource == 'endpointslices':
			# nil slices are serialized as null by the real server (no omitempty)
			for f in ('endpoints', 'ports'):
				if not obj.get(f):
					obj[f] = None
		if 'managedFields' not in meta and self.mf_bytes > 0:
			meta['managedFields'] = managed_fields_of(self.with_kind(resource, obj),
								  self.mf_bytes)
		return obj

	def _record(self, resource, etype, obj, prev, key):
		self.timing[self.rv] = [time.monotonic_ns(), None]
		if len(self.timing) > self.history_max:
			del self.timing[next(iter(self.timing))]
		self.history.append((self.rv, resource, etype, obj, prev, key))
		if len(self.history) > self.history_max:
			drop = len(self.history) - self.history_max
			self.compacted = self.history[drop - 1][0]
			del self.history[:drop]
		self.cond.notify_all()

	def put(self, obj, mode):
		"""mode: create (409 if present), update (404 if absent), apply (either)."""
		resource = self.resource_of(obj)
		with self.cond:
			meta = obj.get('metadata') if isinstance(obj.get('metadata'), dict) else {}
			nm = dict(meta)
			if RESOURCES[resource][2]:
				nm.setdefault('namespace', 'default')
			key = self.key_of(resource, nm)
			prev = self.objects[resource].get(key)
			if mode == 'create' and prev is not None:
				raise ApiError(409, 'AlreadyExists', '%s "%s" already exists' %
					       (resource, meta.get('name')))
			if mode == 'update' and prev is None:
				raise ApiError(404, 'NotFound', '%s "%s" not found' %
					       (resource, meta.get('name')))
			new = self._normalize(resource, obj, prev)
			self.rv += 1
			new['metadata']['resourceVersion'] = str(self.rv)
			self.objects[resource][key] = new
			self.encoded[resource][key] = (new, jdump(new).encode())
			self._record(resource, 'ADDED' if prev is None else 'MODIFIED', new, prev, key)
			return self.with_kind(resource, new)

	def delete(self, resource, ns, name):
		if resource not in RESOURCES:
			raise ApiError(404, 'NotFound', 'unknown resource %r' % resource)
		with self.cond:
			key = self.key_of(resource, {'namespace': ns or 'default', 'name': name})
			prev = self.objects[resource].pop(key, None)
			if prev is None:
				raise ApiError(404, 'NotFound', '%s "%s" not found' % (resource, name))
			self.encoded[resource].pop(key, None)
			self.rv += 1
			gone = copy.deepcopy(prev)
			gone['metadata']['resourceVersion'] = str(self.rv)
			self._record(resource, 'DELETED', gone, prev, key)
			return self.with_kind(resource, gone)

	def compact(self, rv=None):
		with self.cond:
			rv = self.rv if rv is None else min(int(rv), self.rv)
			if rv > self.compacted:
				self.history = [h for h in self.history if h[0] > rv]
				self.compacted = rv
			self.cond.notify_all()
			return self.compacted

	def snapshot(self, resource, rv):
		"""(objects, sorted keys) of RESOURCE as they were at RV (caller holds the lock);
		None if compacted."""
		if rv < self.compacted:
			return None
		snap = self.snapshots.get((resource, rv))
		if snap is not None:
			self.snapshots.move_to_end((resource, rv))
			return snap
		objs = dict(self.objects[resource])
		for h in reversed(self.history):
			if h[0] <= rv:
				break
			if h[1] != resource:
				continue
			if h[4] is None:
				objs.pop(h[5], None)
			else:
				objs[h[5]] = h[4]
		snap = (objs, sorted(objs))
		self.snapshots[(resource, rv)] = snap
		while len(self.snapshots) > 8:
			self.snapshots.popitem(last=False)
		return snap

	def encoded_of(self, resource, key, obj):
		"""The JSON of OBJ (stored under KEY now or in the past) as bytes."""
		e = self.encoded[resource].get(key)
		if e is not None and e[0] is obj:
			return e[1]
		return jdump(obj).encode()

	def dump_state(self):
		with self.cond:
			items = []
			for r in RESOURCES:
				for k in sorted(self.objects[r]):
					items.append(self.with_kind(r, self.objects[r][k]))
			return {'rv': self.rv, 'compacted': self.compacted, 'items': items,
				'history': [list(h) for h in self.history]}

	def load_state(self, st):
		with self.cond:
			self.rv = int(st['rv'])
			self.compacted = int(st.get('compacted', self.rv))
			for it in st['items']:
				r = self.resource_of(it)
				o = dict(it)
				o.pop('kind', None)
				o.pop('apiVersion', None)
				self.objects[r][self.key_of(r, o['metadata'])] = o
			self.history = [tuple(h) for h in st.get('history', [])]


# ---------------------------------------------------------------------------------------------
# Shared server state: tokens, counters, watches, behaviour switches.
# ---------------------------------------------------------------------------------------------

class Watch:
	def __init__(self, wid, path, rv):
		self.id = wid
		self.path = path
		self.rv = rv
		self.started = time.time()
		self.cut = None		# None, 'fin' or 'rst'
		self.stalled = False
		self.end = False
		self.events_sent = 0


class State:
	def __init__(self, args):
		self.args = args
		self.store = Store(args.first_rv, args.history, args.managed_fields_bytes)
		self.lock = threading.Lock()
		self.tokens = set(args.token)
		self.forbidden = set(args.forbidden_token)
		self.counts = {}
		self.log = []
		self.watches = {}
		self.next_watch = 1
		self.conns = set()
		self.stall_new = False
		self.fragment = args.fragment
		self.list_page_delay = args.list_page_delay
		self.bookmark_interval = args.bookmark_interval
		self.min_request_timeout = args.min_request_timeout
		self.seed = random.Random(args.seed)

	def count(self, key, code):
		with self.lock:
			self.counts[key] = self.counts.get(key, 0) + 1
			k2 = '%s %d' % (key, code)
			self.counts[k2] = self.counts.get(k2, 0) + 1

	def record(self, entry):
		with self.lock:
			self.log.append(entry)
			if len(self.log) > 2000:
				del self.log[:1000]


# ---------------------------------------------------------------------------------------------
# Continue tokens: the real format, base64url (no padding) of
# {"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}.
# ---------------------------------------------------------------------------------------------

def continue_encode(rv, last_key):
	raw = jdump({'v': 'meta.k8s.io/v1', 'rv': rv, 'start': last_key + '\x00'})
	return base64.urlsafe_b64encode(raw.encode()).decode().rstrip('=')


def continue_decode(tok):
	try:
		raw = base64.urlsafe_b64decode(tok + '=' * (-len(tok) % 4))
		d = json.loads(raw)
		if d.get('v') != 'meta.k8s.io/v1' or not isinstance(d.get('rv'), int) or \
		   not isinstance(d.get('start'), str):
			raise ValueError
		return d['rv'], d['start']
	except Exception:
		raise ApiError(400, 'BadRequest', 'continue key is not valid: incorrect encoded '
			       'start resourceVersion (version meta.k8s.io/v1)')


# ---------------------------------------------------------------------------------------------
# API server (HTTPS or HTTP)
# ---------------------------------------------------------------------------------------------

class ApiServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
	daemon_threads = True
	allow_reuse_address = True
	request_queue_size = 256

	def __init__(self, addr, state, ssl_ctx):
		self.state = state
		self.ssl_ctx = ssl_ctx
		super().__init__(addr, ApiHandler)

	def finish_request(self, request, client_address):
		request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		if self.ssl_ctx is not None:
			request.settimeout(10)
			try:
				request = self.ssl_ctx.wrap_socket(request, server_side=True)
			except (OSError, ssl.SSLError) as e:
				log('TLS handshake from %s failed: %s' % (client_address, e))
				return
			request.settimeout(None)
		with self.state.lock:
			self.state.conns.add(request)
		try:
			super().finish_request(request, client_address)
		finally:
			with self.state.lock:
				self.state.conns.discard(request)
			if self.ssl_ctx is not None:
				try:
					request.close()
				except OSError:
					pass

	def handle_error(self, request, client_address):
		log('connection %s: %s' % (client_address, sys.exc_info()[1]))


class ApiHandler(http.server.BaseHTTPRequestHandler):
	protocol_version = 'HTTP/1.1'
	server_version = 'fixture-kube-apiserver'
	sys_version = ''

	def log_message(self, fmt, *a):
		log('%s %s' % (self.address_string(), fmt % a))

	# -- plumbing --
	def send_json(self, code, obj, extra_headers=None):
		self.send_body(code, (jdump(obj) + '\n').encode(), extra_headers)

	def send_body(self, code, body, extra_headers=None):
		st = self.server.state
		self.send_response(code)
		self.send_header('Audit-Id', str(uuid.uuid4()))
		self.send_header('Cache-Control', 'no-cache, private')
		self.send_header('Content-Type', 'application/json')
		for k, v in (extra_headers or {}).items():
			self.send_header(k, v)
		self.send_header('Content-Length', str(len(body)))
		self.end_headers()
		if st.fragment and len(body) > 1:
			self.write_fragments(body)
		else:
			self.wfile.write(body)
		self.wfile.flush()

	def write_fragments(self, data):
		rnd = self.server.state.seed
		while data:
			n = rnd.randint(1, max(1, min(len(data), 700)))
			self.wfile.write(data[:n])
			self.wfile.flush()
			data = data[n:]
			if rnd.random() < 0.3:
				time.sleep(0.001)

	def write_chunk(self, data):
		self.wfile.write(b'%x\r\n' % len(data) + data + b'\r\n')

	def do_GET(self):
		self.handle_api('GET')

	def do_POST(self):
		self.handle_api('POST')

	def do_PUT(self):
		self.handle_api('PUT')

	def do_DELETE(self):
		self.handle_api('DELETE')

	def do_PATCH(self):
		self.handle_api('PATCH')

	def authenticate(self, resource, verb):
		st = self.server.state
		user = None
		if self.server.ssl_ctx is not None:
			try:
				cert = self.connection.getpeercert()
			except (AttributeError, ValueError):
				cert = None
			if cert:
				for rdn in cert.get('subject', ()):
					for k, v in rdn:
						if k == 'commonName':
							user = v
		auth = self.headers.get('Authorization', '')
		tok = auth[7:].strip() if auth[:7].lower() == 'bearer ' else None
		with st.lock:
			if tok is not None and tok in st.tokens:
				user = 'system:serviceaccount:kube-system:xdpdns'
				forbidden = tok in st.forbidden
			elif user is not None and tok is None:
				forbidden = user in st.forbidden
			else:
				user = None
		if user is None:
			raise ApiError(401, 'Unauthorized', 'Unauthorized')
		if forbidden:
			what = resource or 'the requested resource'
			grp = RESOURCES[resource][3][6:-3] if resource in RESOURCES and \
				RESOURCES[resource][3].startswith('/apis/') else ''
			raise ApiError(403, 'Forbidden', '%s is forbidden: User "%s" cannot %s resource '
				       '"%s" in API group "%s" at the cluster scope' %
				       (what, user, verb, what, grp),
				       details={'kind': what})

	def handle_api(self, method):
		st = self.server.state
		url = urllib.parse.urlsplit(self.path)
		path = url.path.rstrip('/') or '/'
		q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
		n = int(self.headers.get('Content-Length') or 0)
		if n:
			self.rfile.read(n)
		code = 200
		kind = 'GET'
		try:
			route = self.route(path)
			if route is None:
				raise ApiError(404, 'NotFound', 'the server could not find the requested '
					       'resource')
			resource, ns, name = route
			watch = q.get('watch', '') in ('1', 'true', 'True')
			kind = 'WATCH' if watch else ('LIST' if resource and not name else 'GET')
			verb = 'watch' if watch else ('list' if resource and not name else 'get')
			if resource is None:
				self.authenticate(None, verb)
				if method != 'GET':
					raise ApiError(405, 'MethodNotAllowed', 'the server does not allow '
						       'this method on the requested resource')
				self.send_json(200, self.discovery(path))
			else:
				self.authenticate(resource, verb)
				if method != 'GET':
					raise ApiError(405, 'MethodNotAllowed', 'the server does not allow '
						       'this method on the requested resource (read-only '
						       'fixture; use the control port)')
				if watch:
					st.count('%s %s' % (kind, path), 200)
					st.record({'t': time.time(), 'kind': kind, 'path': path,
						   'query': q, 'code': 200})
					self.serve_watch(resource, ns, q, path)
					return
				if name:
					self.serve_get(resource, ns, name)
				else:
					code = self.serve_list(resource, ns, q)
		except ApiError as e:
			code = e.code
			self.send_json(e.code, e.status)
		except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
			self.close_connection = True
			return
		st.count('%s %s' % (kind, path), code)
		st.record({'t': time.time(), 'kind': kind, 'path': path, 'query': q, 'code': code})

	def route(self, path):
		if path in ('/version', '/api', '/apis', '/api/v1', '/apis/discovery.k8s.io',
			    '/apis/discovery.k8s.io/v1'):
			return (None, None, None)
		for r, (kind, api, namespaced, prefix, _s, _n) in RESOURCES.items():
			if not path.startswith(prefix + '/'):
				continue
			parts = path[len(prefix) + 1:].split('/')
			if parts[0] == r and len(parts) <= 2:
				if len(parts) == 2 and namespaced:
					return None
				return (r, None, parts[1] if len(parts) == 2 else None)
			if namespaced and parts[0] == 'namespaces' and len(parts) in (3, 4) and \
			   parts[2] == r:
				return (r, parts[1], parts[3] if len(parts) == 4 else None)
		return None

	def discovery(self, path):
		host, port = self.server.server_address[:2]
		if path == '/version':
			return {'major': '1', 'minor': '30', 'gitVersion': 'v1.30.0',
				'gitCommit': '7c48c2bd72b9bf5c44d21d7338cc7bea77d0ad2a',
				'gitTreeState': 'clean', 'buildDate': '2024-04-17T17:27:03Z',
				'goVersion': 'go1.22.2', 'compiler': 'gc', 'platform': 'linux/amd64'}
		if path == '/api':
			return {'kind': 'APIVersions', 'versions': ['v1'],
				'serverAddressByClientCIDRs': [{'clientCIDR': '0.0.0.0/0',
								'serverAddress': '%s:%d' % (host, port)}]}
		gv = {'groupVersion': 'discovery.k8s.io/v1', 'version': 'v1'}
		group = {'name': 'discovery.k8s.io', 'versions': [gv], 'preferredVersion': gv}
		if path == '/apis':
			return {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': [group]}
		if path == '/apis/discovery.k8s.io':
			return dict(group, kind='APIGroup', apiVersion='v1')
		want = '/api/v1' if path == '/api/v1' else '/apis/discovery.k8s.io/v1'
		res = []
		for r, (kind, api, namespaced, prefix, short, singular) in RESOURCES.items():
			if prefix != want:
				continue
			e = {'name': r, 'singularName': singular, 'namespaced': namespaced,
			     'kind': kind, 'verbs': ['get', 'list', 'watch']}
			if short:
				e['shortNames'] = short
			res.append(e)
		return {'kind': 'APIResourceList', 'apiVersion': 'v1',
			'groupVersion': want[6:] if want != '/api/v1' else 'v1', 'resources': res}

	def serve_get(self, resource, ns, name):
		store = self.server.state.store
		with store.cond:
			key = store.key_of(resource, {'namespace': ns, 'name': name})
			obj = store.objects[resource].get(key)
			if obj is None:
				raise ApiError(404, 'NotFound', '%s "%s" not found' % (resource, name),
					       details={'name': name, 'kind': resource})
			obj = store.with_kind(resource, obj)
		self.send_json(200, obj)

	def serve_list(self, resource, ns, q):
		store = self.server.state.store
		if self.server.state.list_page_delay > 0:
			time.sleep(self.server.state.list_page_delay)
		kind, api = RESOURCES[resource][0], RESOURCES[resource][1]
		try:
			limit = int(q.get('limit') or 0)
		except ValueError:
			raise ApiError(400, 'BadRequest', 'invalid limit %r' % q.get('limit'))
		cont = q.get('continue') or ''
		rvq = q.get('resourceVersion') or ''
		with store.cond:
			if cont:
				if rvq not in ('', '0'):
					raise ApiError(400, 'BadRequest', 'specifying resource version is '
						       'not allowed when using continue')
				rv, start = continue_decode(cont)
				if rv == -1:
					rv = store.rv
				snap = store.snapshot(resource, rv)
				if snap is None:
					meta = {'continue': continue_encode(-1, start[:-1])}
					raise ApiError(410, 'Expired', EXPIRED_CONTINUE_MSG, meta=meta)
				after = start[:-1] if start.endswith('\x00') else start
			else:
				if rvq not in ('', '0') and q.get('resourceVersionMatch') != 'Exact':
					try:
						want = int(rvq)
					except ValueError:
						raise ApiError(400, 'BadRequest', 'invalid resource version')
					deadline = time.time() + 3
					while store.rv < want and time.time() < deadline:
						store.cond.wait(deadline - time.time())
					if store.rv < want:
						raise ApiError(504, 'Timeout', 'Too large resource version: %d, '
							       'current: %d' % (want, store.rv),
							       details={'causes': [{
								       'reason': 'ResourceVersionTooLarge',
								       'message': 'Too large resource version'}],
								       'retryAfterSeconds': 1})
				rv = store.rv
				snap = store.snapshot(resource, rv)
				after = None
			objs, keys = snap
			lo = 0 if after is None else bisect.bisect_right(keys, after)
			hi = len(keys)
			if ns is not None:
				# keys of NS are those from "NS/" up to, not including, "NS0"
				lo = max(lo, bisect.bisect_left(keys, ns + '/'))
				hi = max(lo, bisect.bisect_left(keys, ns + '0'))
			meta = {'resourceVersion': str(rv)}
			if limit > 0 and hi - lo > limit:
				meta['continue'] = continue_encode(rv, keys[lo + limit - 1])
				meta['remainingItemCount'] = hi - lo - limit
				hi = lo + limit
			items = [store.encoded_of(resource, k, objs[k]) for k in keys[lo:hi]]
		# the bytes of jdump() of {kind, apiVersion, metadata, items}
		body = b''.join((b'{"kind":', jdump(kind + 'List').encode(), b',"apiVersion":',
				 jdump(api).encode(), b',"metadata":', jdump(meta).encode(),
				 b',"items":[', b','.join(items), b']}\n'))
		self.send_body(200, body)
		return 200

	# -- watch --
	def serve_watch(self, resource, ns, q, path):
		st = self.server.state
		store = st.store
		bookmarks = q.get('allowWatchBookmarks', '') in ('1', 'true', 'True')
		try:
			timeout = float(q['timeoutSeconds']) if q.get('timeoutSeconds') else None
		except ValueError:
			raise ApiError(400, 'BadRequest', 'invalid timeoutSeconds')
		if timeout is None:
			mrt = st.min_request_timeout
			timeout = mrt * (1 + st.seed.random())
		rvq = q.get('resourceVersion') or ''
		try:
			start_rv = int(rvq) if rvq not in ('', '0') else None
		except ValueError:
			raise ApiError(400, 'BadRequest', 'invalid resource version %r' % rvq)

		def matches(key):
			return ns is None or key.startswith(ns + '/')

		with st.lock:
			w = Watch(st.next_watch, path, rvq)
			st.next_watch += 1
			w.stalled = st.stall_new
			st.watches[w.id] = w
		self.send_response(200)
		self.send_header('Audit-Id', str(uuid.uuid4()))
		self.send_header('Cache-Control', 'no-cache, private')
		self.send_header('Content-Type', 'application/json')
		self.send_header('Transfer-Encoding', 'chunked')
		self.end_headers()
		self.wfile.flush()
		deadline = time.time() + timeout
		next_bm = time.time() + st.bookmark_interval if st.bookmark_interval > 0 else None
		pending = []
		closing = False
		try:
			with store.cond:
				if start_rv is None:
					# "" or "0": synthetic ADDED for the current state, then live events
					sent = store.rv
					for k in sorted(store.objects[resource]):
						if matches(k):
							pending.append(('ADDED', store.objects[resource][k]))
				elif start_rv < store.compacted:
					err = status_obj(410, 'Expired', 'too old resource version: %d (%d)'
							 % (start_rv, store.compacted))
					pending.append(('ERROR', err))
					closing = True
					sent = start_rv
				else:
					sent = start_rv
			while True:
				bm = None
				with store.cond:
					while True:
						if w.cut or w.end:
							break
						if not w.stalled:
							if pending or closing:
								break
							if store.rv > sent:
								if sent < store.compacted:
									# history went away under a slow watch
									pending.append(('ERROR', status_obj(
										410, 'Expired',
										'too old resource version: %d (%d)'
										% (sent, store.compacted))))
									closing = True
									break
								first = bisect.bisect_right(
									store.history, sent,
									key=lambda h: h[0])
								for h in store.history[first:]:
									if h[1] == resource and \
									   matches(h[5]):
										pending.append((h[2], h[3]))
								sent = store.rv
								if pending:
									break
							t = time.time()
							if t >= deadline:
								break
							if bookmarks and next_bm is not None and t >= next_bm and \
							   (start_rv is None or store.rv >= start_rv):
								bm = sent
								break
						waits = [deadline - time.time()] if not w.stalled else [1.0]
						if next_bm is not None and not w.stalled:
							waits.append(next_bm - time.time())
						store.cond.wait(max(0.001, min(waits)))
					if bookmarks and not w.cut and not w.end and not w.stalled and \
					   time.time() >= deadline and \
					   (start_rv is None or store.rv >= start_rv):
						bm = sent
				if w.cut:
					self.cut_connection(w.cut)
					return
				out = []
				rvs = []
				for etype, obj in pending:
					if etype != 'ERROR':
						rvs.append(int(obj['metadata']['resourceVersion']))
						obj = store.with_kind(resource, obj)
					out.append(jdump({'type': etype, 'object': obj}) + '\n')
				w.events_sent += len(pending)
				pending = []
				if bm is not None:
					kind, api = RESOURCES[resource][0], RESOURCES[resource][1]
					o = {'kind': kind, 'apiVersion': api,
					     'metadata': {'resourceVersion': str(bm),
							  'creationTimestamp': None}}
					o.update(BOOKMARK_RESIDUE[resource])
					out.append(jdump({'type': 'BOOKMARK', 'object': o}) + '\n')
					if st.bookmark_interval > 0:
						next_bm = time.time() + st.bookmark_interval
				if out:
					self.write_events(out)
					t = time.monotonic_ns()
					for rv in rvs:
						tm = store.timing.get(rv)
						if tm is not None and tm[1] is None:
							tm[1] = t
				if closing or w.end or time.time() >= deadline:
					self.write_chunk(b'')
					self.wfile.flush()
					return
		except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
			self.close_connection = True
		finally:
			with st.lock:
				st.watches.pop(w.id, None)

	def write_events(self, lines):
		st = self.server.state
		data = ''.join(lines).encode()
		if not st.fragment:
			self.write_chunk(data)
			self.wfile.flush()
			return
		rnd = st.seed
		while data:
			n = rnd.randint(1, max(1, min(len(data), 900)))
			self.write_chunk(data[:n])
			self.wfile.flush()
			data = data[n:]
			if rnd.random() < 0.3:
				time.sleep(0.002)

	def cut_connection(self, how):
		self.close_connection = True
		sock = self.connection
		try:
			if how == 'rst':
				# linger 0 + close: the kernel sends a TCP reset
				sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
						struct.pack('ii', 1, 0))
				self.wfile.close()
				self.rfile.close()
				sock.close()
			else:
				sock.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass

	def finish(self):
		try:
			super().finish()
		except OSError:
			pass


# ---------------------------------------------------------------------------------------------
# Control server (plain HTTP, 127.0.0.1)
# ---------------------------------------------------------------------------------------------

class ControlServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
	daemon_threads = True
	allow_reuse_address = True

	def __init__(self, addr, fixture):
		self.fixture = fixture
		super().__init__(addr, ControlHandler)

	def handle_error(self, request, client_address):
		log('control connection %s: %s' % (client_address, sys.exc_info()[1]))


class ControlHandler(http.server.BaseHTTPRequestHandler):
	protocol_version = 'HTTP/1.1'
	# headers and body are written separately: without TCP_NODELAY the body waits for the
	# client's delayed ACK (~40 ms per request)
	disable_nagle_algorithm = True

	def log_message(self, fmt, *a):
		log('control: ' + fmt % a)

	def reply(self, code, obj):
		body = (json.dumps(obj, indent=1) + '\n').encode()
		self.send_response(code)
		self.send_header('Content-Type', 'application/json')
		self.send_header('Content-Length', str(len(body)))
		self.end_headers()
		self.wfile.write(body)

	def body(self):
		n = int(self.headers.get('Content-Length') or 0)
		raw = self.rfile.read(n) if n else b''
		if not raw.strip():
			return {}
		try:
			return json.loads(raw)
		except ValueError as e:
			raise ApiError(400, 'BadRequest', 'control body is not JSON: %s' % e)

	def do_GET(self):
		self.dispatch('GET')

	def do_POST(self):
		self.dispatch('POST')

	def do_PUT(self):
		self.dispatch('PUT')

	def do_DELETE(self):
		self.dispatch('DELETE')

	def dispatch(self, method):
		fx = self.server.fixture
		url = urllib.parse.urlsplit(self.path)
		parts = [p for p in url.path.split('/') if p]
		try:
			self.reply(200, fx.control(method, parts, self.body))
		except ApiError as e:
			self.reply(e.code, e.status)
		except (KeyError, ValueError, TypeError) as e:
			self.reply(400, status_obj(400, 'BadRequest', 'bad control request: %r' % (e,)))


class Fixture:
	def __init__(self, args):
		self.args = args
		self.state = State(args)
		self.api = None
		self.api_thread = None
		self.port = args.port
		self.ssl_ctx = None
		self.stop = threading.Event()
		self.api_lock = threading.Lock()

	# -- certificates and kubeconfig --
	def make_certs(self):
		d = self.args.dir
		ca, srv, cli = (os.path.join(d, n) for n in ('ca', 'server', 'client'))
		if all(os.path.exists(p) for p in (ca + '.crt', srv + '.crt', srv + '.key',
						    cli + '.crt', cli + '.key')):
			return
		sans = ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes',
			'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local']
		for a in [self.args.address] + self.args.san:
			try:
				socket.inet_pton(socket.AF_INET6 if ':' in a else socket.AF_INET, a)
				e = 'IP:' + a
			except OSError:
				e = 'DNS:' + a
			if e not in sans:
				sans.append(e)

		def run(*cmd):
			subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
				       stderr=subprocess.PIPE)
		run('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650',
		    '-keyout', ca + '.key', '-out', ca + '.crt', '-subj', '/CN=fixture-kubernetes-ca',
		    '-addext', 'basicConstraints=critical,CA:TRUE',
		    '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
		for base, cn, ext in ((srv, 'kube-apiserver',
				       'subjectAltName=%s\nextendedKeyUsage=serverAuth\n'
				       'basicConstraints=CA:FALSE\n' % ','.join(sans)),
				      (cli, 'system:node:fixture-client',
				       'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n')):
			run('openssl', 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', base + '.key',
			    '-out', base + '.csr', '-subj', '/CN=' + cn)
			with open(base + '.ext', 'w') as f:
				f.write(ext)
			run('openssl', 'x509', '-req', '-in', base + '.csr', '-CA', ca + '.crt',
			    '-CAkey', ca + '.key', '-CAcreateserial', '-days', '3650',
			    '-extfile', base + '.ext', '-out', base + '.crt')
			os.unlink(base + '.csr')
			os.unlink(base + '.ext')

	def write_kubeconfigs(self):
		d = self.args.dir
		scheme = 'http' if self.args.plain else 'https'
		host = self.args.address
		if ':' in host:
			host = '[%s]' % host
		server = '%s://%s:%d' % (scheme, host, self.port)
		tok = self.args.token[0]
		with open(os.path.join(d, 'token'), 'w') as f:
			f.write(tok + '\n')
		cluster = '    server: %s\n' % server
		if not self.args.plain:
			with open(os.path.join(d, 'ca.crt'), 'rb') as f:
				cad = base64.b64encode(f.read()).decode()
			cluster = '    certificate-authority-data: %s\n%s' % (cad, cluster)

		def kc(name, user):
			text = ('apiVersion: v1\nkind: Config\nclusters:\n- name: fixture\n  cluster:\n'
				'%scontexts:\n- name: fixture\n  context:\n    cluster: fixture\n'
				'    user: fixture\n    namespace: default\ncurrent-context: fixture\n'
				'preferences: {}\nusers:\n- name: fixture\n  user:\n%s' % (cluster, user))
			p = os.path.join(d, name)
			with open(p + '.tmp', 'w') as f:
				f.write(text)
			os.rename(p + '.tmp', p)
		kc('kubeconfig', '    token: %s\n' % tok)
		kc('kubeconfig-tokenfile', '    tokenFile: %s\n' % os.path.join(d, 'token'))
		if not self.args.plain:
			kc('kubeconfig-cert', '    client-certificate: %s\n    client-key: %s\n' %
			   (os.path.join(d, 'client.crt'), os.path.join(d, 'client.key')))
		return server

	# -- API listener lifecycle --
	def start_api(self):
		with self.api_lock:
			fam = socket.AF_INET6 if ':' in self.args.address else socket.AF_INET
			ApiServer.address_family = fam
			self.api = ApiServer((self.args.address, self.port), self.state, self.ssl_ctx)
			self.port = self.api.server_address[1]
			self.api_thread = threading.Thread(target=self.api.serve_forever,
							   kwargs={'poll_interval': 0.05}, daemon=True)
			self.api_thread.start()

	def stop_api(self, how='fin'):
		with self.api_lock:
			if self.api is None:
				return
			self.api.shutdown()
			self.api.server_close()
			self.api = None
		self.cut_all(how, every_connection=True)

	def cut_all(self, how='fin', every_connection=False):
		st = self.state
		with st.lock:
			ws = list(st.watches.values())
			conns = list(st.conns) if every_connection else []
		for w in ws:
			w.cut = how
		with st.store.cond:
			st.store.cond.notify_all()
		for c in conns:
			try:
				c.shutdown(socket.SHUT_RDWR)
			except OSError:
				pass
		# wait (briefly) for the watch threads to act
		t = time.time() + 2
		while time.time() < t:
			with st.lock:
				if not any(w.id in st.watches for w in ws):
					break
			time.sleep(0.01)
		return len(ws)

	def save_state(self, path=None):
		path = path or self.args.state
		if not path:
			return None
		st = self.state.store.dump_state()
		st['tokens'] = sorted(self.state.tokens)
		st['forbidden'] = sorted(self.state.forbidden)
		with open(path + '.tmp', 'w') as f:
			json.dump(st, f)
		os.rename(path + '.tmp', path)
		return path

	def load_list(self, lst):
		if not isinstance(lst, dict):
			raise ApiError(400, 'BadRequest', 'not a JSON object')
		items = lst.get('items') if lst.get('kind', 'List').endswith('List') else [lst]
		if not isinstance(items, list):
			raise ApiError(400, 'BadRequest', 'a List needs items')
		n = 0
		for it in items:
			if isinstance(it, dict) and it.get('kind') in KIND_TO_RESOURCE:
				# put() copies the object deeply; only what is changed here is copied
				it = dict(it)
				if isinstance(it.get('metadata'), dict):
					it['metadata'] = dict(it['metadata'])
					it['metadata'].pop('resourceVersion', None)
				self.state.store.put(it, 'apply')
				n += 1
		return n

	# -- control interface --
	def control(self, method, parts, body):
		st = self.state
		store = st.store
		op = parts[0] if parts else ''
		if method == 'GET' and op == 'stats':
			with st.lock:
				counts = dict(st.counts)
				watches = [{'id': w.id, 'path': w.path, 'resourceVersion': w.rv,
					    'age': round(time.time() - w.started, 3),
					    'stalled': w.stalled, 'events': w.events_sent}
					   for w in st.watches.values()]
			with store.cond:
				n = {r: len(store.objects[r]) for r in RESOURCES}
				return {'resourceVersion': str(store.rv), 'compacted': str(store.compacted),
					'history': len(store.history), 'objects': n, 'requests': counts,
					'watches': watches, 'api_up': self.api is not None,
					'port': self.port}
		if method == 'GET' and op == 'timing' and len(parts) == 2:
			try:
				rv = int(parts[1])
			except ValueError:
				raise ApiError(400, 'BadRequest', 'GET /timing/RV: RV is a number')
			with store.cond:
				tm = store.timing.get(rv)
				if tm is None:
					raise ApiError(404, 'NotFound', 'no event with resourceVersion %d '
						       'in the timing record' % rv)
				return {'resourceVersion': str(rv), 'clock': 'CLOCK_MONOTONIC',
					'emitted_ns': tm[0], 'written_ns': tm[1]}
		if method == 'GET' and op == 'requests':
			with st.lock:
				return {'requests': list(st.log)}
		if method == 'GET' and op == 'objects':
			return {'kind': 'List', 'apiVersion': 'v1',
				'items': store.dump_state()['items']}
		if method == 'POST' and op == 'reset-stats':
			with st.lock:
				st.counts = {}
				st.log = []
			return {'ok': True}
		if op == 'objects' and method in ('POST', 'PUT'):
			mode = {'POST': 'create', 'PUT': 'update'}[method]
			if len(parts) > 1 and parts[1] == 'apply':
				mode = 'apply'
			return store.put(body(), mode)
		if op == 'objects' and method == 'DELETE':
			# /objects/RESOURCE/NAME or /objects/RESOURCE/NS/NAME
			if len(parts) == 3:
				return store.delete(parts[1], None, parts[2])
			if len(parts) == 4:
				return store.delete(parts[1], parts[2], parts[3])
			raise ApiError(400, 'BadRequest', 'DELETE /objects/RESOURCE/[NS/]NAME')
		if method != 'POST':
			raise ApiError(404, 'NotFound', 'no such control endpoint')
		b = body()
		if op == 'load':
			return {'loaded': self.load_list(b), 'resourceVersion': str(store.rv)}
		if op == 'compact':
			return {'compacted': str(store.compact(b.get('resourceVersion')))}
		if op == 'cut':
			return {'cut': self.cut_all(b.get('how', 'fin'), b.get('all', False))}
		if op == 'end-watches':
			with st.lock:
				ws = list(st.watches.values())
			for w in ws:
				w.end = True
			with store.cond:
				store.cond.notify_all()
			return {'ended': len(ws)}
		if op == 'stall':
			with st.lock:
				for w in st.watches.values():
					w.stalled = True
				n = len(st.watches)
				st.stall_new = bool(b.get('new', False))
			return {'stalled': n, 'stall_new': st.stall_new}
		if op == 'unstall':
			with st.lock:
				for w in st.watches.values():
					w.stalled = False
				st.stall_new = False
			with store.cond:
				store.cond.notify_all()
			return {'ok': True}
		if op == 'tokens':
			with st.lock:
				if 'set' in b:
					st.tokens = set(b['set'])
				st.tokens |= set(b.get('add', []))
				st.tokens -= set(b.get('revoke', []))
				st.forbidden |= set(b.get('forbid', []))
				st.forbidden -= set(b.get('allow', []))
				return {'tokens': sorted(st.tokens), 'forbidden': sorted(st.forbidden)}
		if op == 'config':
			if 'fragment' in b:
				st.fragment = bool(b['fragment'])
			if 'bookmark_interval' in b:
				st.bookmark_interval = float(b['bookmark_interval'])
			if 'min_request_timeout' in b:
				st.min_request_timeout = float(b['min_request_timeout'])
			if 'history' in b:
				store.history_max = int(b['history'])
			return {'fragment': st.fragment, 'bookmark_interval': st.bookmark_interval,
				'min_request_timeout': st.min_request_timeout,
				'history': store.history_max}
		if op == 'save':
			return {'state': self.save_state(b.get('path'))}
		if op == 'restart':
			down = float(b.get('down_seconds', 0.5))
			self.stop_api(b.get('how', 'fin'))
			if b.get('compact', True):
				store.compact()
			time.sleep(down)
			self.start_api()
			return {'port': self.port, 'resourceVersion': str(store.rv)}
		if op == 'stop-api':
			self.stop_api(b.get('how', 'fin'))
			return {'ok': True}
		if op == 'start-api':
			if self.api is None:
				self.start_api()
			return {'port': self.port}
		if op == 'shutdown':
			threading.Thread(target=lambda: (time.sleep(0.1), self.stop.set()),
					 daemon=True).start()
			return {'state': self.save_state()}
		raise ApiError(404, 'NotFound', 'no such control endpoint')

	def run(self):
		a = self.args
		os.makedirs(a.dir, exist_ok=True)
		if a.state and os.path.exists(a.state):
			with open(a.state) as f:
				stj = json.load(f)
			self.state.store.load_state(stj)
			if 'tokens' in stj and not a.token_given:
				self.state.tokens = set(stj['tokens'])
				a.token = stj['tokens'] or a.token
			self.state.forbidden |= set(stj.get('forbidden', []))
		for p in a.load:
			with open(p) as f:
				self.load_list(json.load(f))
		if not a.plain:
			self.make_certs()
			ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
			ctx.load_cert_chain(os.path.join(a.dir, 'server.crt'),
					    os.path.join(a.dir, 'server.key'))
			ctx.load_verify_locations(os.path.join(a.dir, 'ca.crt'))
			ctx.verify_mode = ssl.CERT_OPTIONAL
			ctx.set_alpn_protocols(['http/1.1'])
			self.ssl_ctx = ctx
		self.start_api()
		ctl = ControlServer((a.control_address, a.control_port), self)
		threading.Thread(target=ctl.serve_forever, kwargs={'poll_interval': 0.05},
				 daemon=True).start()
		server = self.write_kubeconfigs()
		info = {'api': server, 'control': 'http://%s:%d' % (a.control_address,
								    ctl.server_address[1]),
			'kubeconfig': os.path.join(a.dir, 'kubeconfig'),
			'token': a.token[0], 'pid': os.getpid()}
		with open(os.path.join(a.dir, 'fixture.json.tmp'), 'w') as f:
			json.dump(info, f)
		os.rename(os.path.join(a.dir, 'fixture.json.tmp'), os.path.join(a.dir, 'fixture.json'))
		sys.stdout.write(jdump(info) + '\n')
		sys.stdout.flush()
		signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
		signal.signal(signal.SIGINT, lambda *_: self.stop.set())
		while not self.stop.wait(0.2):
			pass
		self.save_state()
		self.stop_api('fin')
		ctl.shutdown()
		ctl.server_close()


def main():
	global verbose
	p = argparse.ArgumentParser(description='Kubernetes API fixture for the xdpdns tests '
				    '(see tests/kube/README.md).')
	p.add_argument('--dir', required=True,
		       help='directory for ca.crt, server.crt/key, client.crt/key, kubeconfig*, '
		       'token and fixture.json (certificates are reused when present)')
	p.add_argument('--address', default='127.0.0.1', help='API listen address')
	p.add_argument('--port', type=int, default=0, help='API port (0: pick a free one)')
	p.add_argument('--plain', action='store_true', help='plain HTTP instead of HTTPS')
	p.add_argument('--san', action='append', default=[],
		       help='extra subjectAltName (IP or DNS name) for the server certificate')
	p.add_argument('--control-address', default='127.0.0.1')
	p.add_argument('--control-port', type=int, default=0)
	p.add_argument('--token', action='append', default=[],
		       help='valid bearer token (repeatable); the first goes into the kubeconfig; '
		       'default: a random one')
	p.add_argument('--forbidden-token', action='append', default=[],
		       help='token that authenticates but gets 403 (implies valid)')
	p.add_argument('--load', action='append', default=[],
		       help='JSON List file (kubectl get -o json) to load at start (repeatable)')
	p.add_argument('--state', help='state file: loaded at start when it exists, written at '
		       'shutdown and on POST /save')
	p.add_argument('--first-rv', type=int, default=1000,
		       help='resourceVersion counter start (default 1000)')
	p.add_argument('--history', type=int, default=100000,
		       help='events retained for watch resumption (default 100000)')
	p.add_argument('--bookmark-interval', type=float, default=1.0,
		       help='seconds between BOOKMARKs on watches that allow them (0: only at the '
		       'timeout; default 1)')
	p.add_argument('--min-request-timeout', type=float, default=1800,
		       help='watches without timeoutSeconds end after a random time in [T, 2T] '
		       '(default 1800, as the real server)')
	p.add_argument('--fragment', action='store_true',
		       help='write responses in random small pieces (watch: one chunk each)')
	p.add_argument('--list-page-delay', type=float, default=0.0,
		       help='seconds to wait before serving each list page (a slow API server)')
	p.add_argument('--managed-fields-bytes', type=int, default=2048,
		       help='size of the generated managedFields (0: none; default 2048)')
	p.add_argument('--seed', type=int, default=None, help='random seed (fragmentation etc.)')
	p.add_argument('-v', '--verbose', action='store_true', help='log requests to stderr')
	a = p.parse_args()
	verbose = a.verbose
	a.token_given = bool(a.token)
	if not a.token:
		a.token = ['fixture-' + secrets.token_hex(16)]
	a.token = a.token + [t for t in a.forbidden_token if t not in a.token]
	a.dir = os.path.abspath(a.dir)
	if a.state:
		a.state = os.path.abspath(a.state)
	try:
		Fixture(a).run()
	except subprocess.CalledProcessError as e:
		sys.stderr.write('fixture: %s failed: %s\n' % (e.cmd[0], e.stderr.decode().strip()))
		return 1
	except OSError as e:
		sys.stderr.write('fixture: %s\n' % e)
		return 1
	return 0


if __name__ == '__main__':
	sys.exit(main())
