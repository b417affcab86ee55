#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Generate a kubectl-style `List` of Namespaces, Services, EndpointSlices and Pods.

    gen-objects.py --services N --endpoints M [--pods P] [--headless-every K] > objects.json

Deterministic: the same arguments always print the same bytes. The objects are what
`kubectl get ns,svc,endpointslices,pods -A -o json` prints, trimmed to the fields xdpdns
reads plus the usual metadata. Addresses are data, never contacted:
  ClusterIPs   10.96.0.0/12 (10.96.0.1, ... in service order)
  endpoints    10.128.0.0/9 (one per endpoint, in order), pods reuse the endpoint IPs
Layout: 100 services per namespace; endpoints spread evenly over the services (the first
ones get the remainder); EndpointSlices of at most 100 endpoints (the controller's default);
every K-th service (default 10) is headless and its endpoints get StatefulSet hostnames;
one endpoint in 50 is not ready; every service has ports http/80 and metrics/9090.
"""
import argparse
import ipaddress
import json
import sys

SERVICES_PER_NS = 100
SLICE_MAX = 100
NOT_READY_EVERY = 50
CLUSTER_IP_BASE = ipaddress.IPv4Address("10.96.0.0")
CLUSTER_IP_MAX = 2**20 - 2          # 10.96.0.0/12
ENDPOINT_BASE = ipaddress.IPv4Address("10.128.0.0")
ENDPOINT_MAX = 2**23 - 2            # 10.128.0.0/9


def uid(kind, ns, name):
    h = 0xcbf29ce484222325
    for b in f"{kind}/{ns}/{name}".encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    s = f"{h:016x}{(h * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF:016x}"
    return f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:32]}"


def meta(kind, ns, name, labels=None):
    m = {"name": name, "uid": uid(kind, ns, name), "resourceVersion": "1",
         "creationTimestamp": "2025-01-01T00:00:00Z"}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    return m


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, required=True, help="number of Services")
    p.add_argument("--endpoints", type=int, required=True, help="endpoints over all Services")
    p.add_argument("--pods", type=int, default=0, help="number of Pods (default 0)")
    p.add_argument("--headless-every", type=int, default=10,
                   help="every K-th Service is headless (0: none; default 10)")
    a = p.parse_args()
    if a.services < 0 or a.endpoints < 0 or a.pods < 0 or a.headless_every < 0:
        p.error("counts must not be negative")
    if a.services > CLUSTER_IP_MAX:
        p.error(f"at most {CLUSTER_IP_MAX} services fit 10.96.0.0/12")
    if a.endpoints > ENDPOINT_MAX or a.pods > ENDPOINT_MAX:
        p.error(f"at most {ENDPOINT_MAX} endpoints/pods fit 10.128.0.0/9")
    if a.endpoints and not a.services:
        p.error("endpoints need at least one service")
    return a


def main():
    a = parse_args()
    n_ns = max(1, (a.services + SERVICES_PER_NS - 1) // SERVICES_PER_NS)
    items = []
    for i in range(n_ns):
        ns = f"ns-{i:04d}"
        items.append({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": meta("Namespace", None, ns,
                                       {"kubernetes.io/metadata.name": ns}),
                      "status": {"phase": "Active"}})

    per_svc, extra = divmod(a.endpoints, a.services) if a.services else (0, 0)
    ep_index = 0
    for s in range(a.services):
        ns = f"ns-{s // SERVICES_PER_NS:04d}"
        name = f"svc-{s:05d}"
        headless = a.headless_every and s % a.headless_every == a.headless_every - 1
        cip = "None" if headless else str(CLUSTER_IP_BASE + 1 + s)
        items.append({
            "apiVersion": "v1", "kind": "Service",
            "metadata": meta("Service", ns, name, {"app": name}),
            "spec": {"type": "ClusterIP", "clusterIP": cip, "clusterIPs": [cip],
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "selector": {"app": name},
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
                               {"name": "metrics", "port": 9090, "protocol": "TCP",
                                "targetPort": 9090}]},
            "status": {"loadBalancer": {}}})
        count = per_svc + (1 if s < extra else 0)
        for first in range(0, count, SLICE_MAX):
            eps = []
            for e in range(first, min(count, first + SLICE_MAX)):
                ip = str(ENDPOINT_BASE + 1 + ep_index)
                ep = {"addresses": [ip],
                      "conditions": {"ready": ep_index % NOT_READY_EVERY != NOT_READY_EVERY - 1,
                                     "serving": True, "terminating": False},
                      "targetRef": {"kind": "Pod", "namespace": ns, "name": f"{name}-{e}"}}
                if headless:
                    ep["hostname"] = f"{name}-{e}"
                eps.append(ep)
                ep_index += 1
            slice_name = f"{name}-{first // SLICE_MAX:03d}"
            items.append({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": meta("EndpointSlice", ns, slice_name,
                                 {"kubernetes.io/service-name": name,
                                  "endpointslice.kubernetes.io/managed-by":
                                  "endpointslice-controller.k8s.io"}),
                "addressType": "IPv4", "endpoints": eps,
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"},
                          {"name": "metrics", "port": 9090, "protocol": "TCP"}]})

    for p in range(a.pods):
        ns = f"ns-{(p % a.services if a.services else 0) // SERVICES_PER_NS:04d}"
        ip = str(ENDPOINT_BASE + 1 + p)
        items.append({"apiVersion": "v1", "kind": "Pod",
                      "metadata": meta("Pod", ns, f"pod-{p:06d}"),
                      "spec": {"containers": [{"name": "app", "image": "app:1"}]},
                      "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})

    json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
               "items": items}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
