#!/usr/bin/env python3
"""Generates the benchmark's workload: the bodies nginx serves, nginx's own config, and the
same requests for Courier (YAML) and Hurl (.hurl files); the collections run against the
Intacct emulator; the data files of the memory runs; the collections `courier validate` loads.

    python3 bench/gen.py WORKDIR PORT                       nginx workloads
    python3 bench/gen.py emulator DIR COLLECTIONS REQUESTS  collections for the emulator
    python3 bench/gen.py rows DIR REQUESTS ROWS...          a collection and its data files
    python3 bench/gen.py smoke DIR COUNT                    the smoke collection
    python3 bench/gen.py validate DIR COUNT                 files for `courier validate`

Every nginx request is a keep-alive GET of an Intacct-shaped JSON body with two assertions: the
status is 200 and `$['ia::result'].name` equals the name that body holds. Bodies are
deterministic, so two runs of the generator write identical files.

Standard library only: the script runs wherever Python 3 does, with nothing installed.
"""

import json
import os
import sys

SMALL = 1000  # distinct 1 KB bodies
LARGE = 200  # distinct 100 KB bodies
SMALL_BYTES = 1024
LARGE_BYTES = 100 * 1024
SMALL_REQUESTS = 10_000  # sequential, cycling over the SMALL bodies
LARGE_REQUESTS = 2_000  # sequential, cycling over the LARGE bodies
ROWS_REQUESTS = 1_000  # the memory run's collection: × 10 or × 100 data rows

NAME_PATH = "$['ia::result'].name"


def name_of(kind, i):
    return f"{'Vendor' if kind == 's' else 'Bill'} {kind.upper()}-{i:05d}"


def pad_to(doc, size, grow):
    """Grows `doc` with `grow(doc, n)` until its compact JSON is exactly `size` bytes long."""
    text = json.dumps(doc, separators=(",", ":"))
    grow(doc, size - len(text))
    text = json.dumps(doc, separators=(",", ":"))
    assert len(text) == size, (len(text), size)
    return text


def small_body(i):
    """An Intacct `GET /objects/accounts-payable/vendor/{key}` answer, 1 KB."""
    doc = {
        "ia::result": {
            "key": str(i + 1),
            "id": f"V-{i:05d}",
            "name": name_of("s", i),
            "status": "active",
            "vendorType": {"key": "3", "id": "Supplier", "href": "/objects/accounts-payable/vendor-type/3"},
            "contacts": {
                "default": {"key": str(100 + i), "id": f"C-{i:05d}", "href": f"/objects/company-config/contact/{100 + i}"}
            },
            "creditLimit": "25000.00",
            "totalDue": f"{(i * 37) % 10000}.25",
            "billingType": "openItem",
            "audit": {
                "createdDateTime": "2024-03-01T10:00:00Z",
                "modifiedDateTime": "2024-06-11T08:30:12Z",
                "createdBy": "1",
                "modifiedBy": "95",
            },
            "notes": "",
            "href": f"/objects/accounts-payable/vendor/{i + 1}",
        },
        "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0},
    }

    def grow(d, n):
        d["ia::result"]["notes"] = "x" * n

    return pad_to(doc, SMALL_BYTES, grow)


def large_body(i):
    """An Intacct bill with its lines, 100 KB: the name to check sits before the lines, but a
    runner still has to read (and, to be correct, validate) the whole document."""
    lines = []
    size = 2  # "[]"
    n = 0
    while True:
        line = {
            "key": str(1000 * i + n),
            "id": str(1000 * i + n),
            "glAccount": {"key": str(40 + n % 20), "id": f"{6000 + n % 20}", "href": f"/objects/general-ledger/account/{40 + n % 20}"},
            "txnAmount": f"{(n * 13) % 9000}.{n % 100:02d}",
            "memo": f"line {n} of bill {i}",
            "dimensions": {"department": {"key": "9", "id": "ENG"}, "location": {"key": "1", "id": "HQ"}},
        }
        size += len(json.dumps(line, separators=(",", ":"))) + 1
        if size > LARGE_BYTES - 1200:
            break
        lines.append(line)
        n += 1
    doc = {
        "ia::result": {
            "key": str(i + 1),
            "id": f"B-{i:05d}",
            "name": name_of("l", i),
            "state": "posted",
            "vendor": {"key": str(i + 1), "id": f"V-{i:05d}", "href": f"/objects/accounts-payable/vendor/{i + 1}"},
            "totalTxnAmount": "91234.50",
            "lines": lines,
            "notes": "",
            "href": f"/objects/accounts-payable/bill/{i + 1}",
        },
        "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0},
    }

    def grow(d, n):
        d["ia::result"]["notes"] = "x" * n

    return pad_to(doc, LARGE_BYTES, grow)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def requests_for(kind, count, modulo):
    """(path, expected name) for `count` requests cycling over `modulo` bodies."""
    return [(f"/{kind}/{i % modulo}.json", name_of(kind, i % modulo)) for i in range(count)]


def courier_collection(title, reqs, query=""):
    out = [f"name: {title}", "requests:"]
    for n, (path, name) in enumerate(reqs):
        out += [
            f"  - name: r{n:05d}",
            f'    url: "{{{{ base_url }}}}{path}{query}"',
            "    expect:",
            "      status: 200",
            "      jsonpath:",
            f"        \"{NAME_PATH}\": \"{name}\"",
        ]
    return "\n".join(out) + "\n"


def hurl_file(base, reqs):
    out = []
    for path, name in reqs:
        out += [
            f"GET {base}{path}",
            "HTTP 200",
            "[Asserts]",
            f'jsonpath "{NAME_PATH}" == "{name}"',
            "",
        ]
    return "\n".join(out)


def nginx_conf(work, port):
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""# Generated by bench/gen.py: a static JSON server on loopback for the benchmark.
{user}worker_processes 1;
daemon off;
pid {work}/nginx/nginx.pid;
error_log {work}/nginx/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush off;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    open_file_cache max=2000 inactive=60s;
    client_body_temp_path {work}/nginx/tmp/body;
    proxy_temp_path {work}/nginx/tmp/proxy;
    fastcgi_temp_path {work}/nginx/tmp/fastcgi;
    uwsgi_temp_path {work}/nginx/tmp/uwsgi;
    scgi_temp_path {work}/nginx/tmp/scgi;
    types {{ application/json json; }}
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        root {work}/www;
        etag off;
    }}
}}
"""


def smoke_collection(count, title="Smoke"):
    """`count` GETs of one customer from the Intacct emulator (`--smoke`, and the collections
    of the concurrency workload)."""
    out = [f"name: {title}", "auth: intacct", "requests:"]
    for n in range(count):
        out += [
            f"  - name: r{n:05d}",
            "    url: \"{{ base_url }}/objects/accounts-receivable/customer/13\"",
            "    expect:",
            "      status: 200",
            "      jsonpath:",
            "        \"$['ia::result'].id\": C-0002",
        ]
    return "\n".join(out) + "\n"


def validate_collection(n):
    """A collection of 10 requests for the load/validate benchmark: CRUD with
    captures chained through later requests, every body kind, matchers of each family,
    regexes, templates with functions and filters — what `validate` compiles in real files."""
    obj = ["vendor", "customer", "bill", "invoice", "account"][n % 5]
    app = {"vendor": "accounts-payable", "customer": "accounts-receivable", "bill": "accounts-payable",
           "invoice": "accounts-receivable", "account": "general-ledger"}[obj]
    return f"""# Generated by bench/gen.py for the load/validate benchmark.
name: {obj.title()} lifecycle {n:04d}
description: Create, read, list, update and delete a {obj}, chaining captures.
tags: [bench, {obj}, crud]
vars:
  base_url: https://api.example.test/ia/api/v1
  item_id: "X-{{{{ uuid()[:8] | upper }}}}-{n}"
  page_size: 50
defaults:
  headers: {{ Accept: application/json, X-Bench: "{n}" }}
  timeout: 10s
  retries: {{ count: 2, on: [429, 503, network], backoff: 250ms }}
requests:
  - name: create {obj}
    method: POST
    url: "{{{{ base_url }}}}/objects/{app}/{obj}"
    headers: {{ Idempotency-Key: "{{{{ uuid() }}}}" }}
    json:
      id: "{{{{ item_id }}}}"
      name: Acme {n}
      creditLimit: "25000.00"
      tags: [bench, "{{{{ now('%Y') }}}}"]
    expect:
      status: 201
      headers: {{ content-type: {{ contains: application/json }} }}
      jsonpath:
        "$['ia::result'].key": {{ exists: true, matches: "^[0-9]+$" }}
        "$['ia::result'].id": "{{{{ item_id }}}}"
        "$['ia::meta'].totalSuccess": 1
    capture:
      item_key: "$['ia::result'].key"
      item_href: "$['ia::result'].href"
      request_id: {{ header: x-request-id }}
  - name: read {obj}
    url: "{{{{ base_url }}}}{{{{ item_href }}}}"
    expect:
      status: 200
      duration: {{ lt: 2000 }}
      jsonpath:
        "$['ia::result'].key": "{{{{ item_key }}}}"
        "$['ia::result'].name": Acme {n}
        "$['ia::result'].status": {{ in: [active, inactive] }}
        "$['ia::result'].creditLimit": {{ gte: 25000, lt: 25000.01 }}
        "$['ia::result'].audit.createdDateTime": {{ matches: "^\\\\d{{4}}-\\\\d{{2}}-\\\\d{{2}}T" }}
  - name: list {obj}s
    url: "{{{{ base_url }}}}/objects/{app}/{obj}"
    query: {{ size: "{{{{ page_size }}}}", start: "1" }}
    expect:
      status: 200
      jsonpath:
        "$['ia::meta'].totalCount": {{ gte: 1, type: integer }}
        "$['ia::result'][*].key": {{ length: {{ gte: 1 }} }}
        "$['ia::result'][?@.id == 'X']": {{ exists: false }}
    capture:
      first_key: "$['ia::result'][0].key"
  - name: query {obj}s
    method: POST
    url: "{{{{ base_url }}}}/services/core/query"
    json:
      object: {app}/{obj}
      fields: [key, id, name, status]
      filters: [{{ "$eq": {{ status: active }} }}]
      size: "{{{{ page_size }}}}"
    mutates: false
    expect:
      status: 200
      jsonpath:
        "$['ia::result'][0].key": {{ type: string }}
        "$['ia::result'][*].status": {{ contains: active }}
  - name: update {obj}
    method: PATCH
    url: "{{{{ base_url }}}}/objects/{app}/{obj}/{{{{ item_key }}}}"
    json: {{ name: "Acme {n} Ltd", creditLimit: "30000.00" }}
    expect:
      status: 200
      jsonpath:
        "$['ia::result'].key": "{{{{ item_key }}}}"
  - name: read updated {obj}
    url: "{{{{ base_url }}}}/objects/{app}/{obj}/{{{{ item_key }}}}"
    tags: [smoke]
    expect:
      status: 200
      jsonpath:
        "$['ia::result'].name": Acme {n} Ltd
        "$['ia::result'].creditLimit": 30000
  - name: form login {n}
    method: POST
    url: "{{{{ base_url }}}}/oauth2/token"
    form: {{ grant_type: client_credentials, client_id: "id-{n}", scope: "{{{{ 'read write' | urlencode }}}}" }}
    mutates: false
    expect:
      status: [200, 4xx]
      body: {{ not_contains: stack trace }}
  - name: note {obj}
    method: POST
    url: "{{{{ base_url }}}}/objects/{app}/{obj}/{{{{ item_key }}}}/notes"
    headers: {{ Idempotency-Key: "{{{{ uuid() }}}}", Content-Type: text/plain }}
    body: "request {{{{ request_id }}}} at {{{{ timestamp() }}}}"
    expect:
      status: {{ in: [200, 201, 404] }}
  - name: delete {obj}
    method: DELETE
    url: "{{{{ base_url }}}}/objects/{app}/{obj}/{{{{ item_key }}}}"
    expect:
      status: 204
      body: ""
  - name: {obj} is gone
    url: "{{{{ base_url }}}}/objects/{app}/{obj}/{{{{ item_key }}}}"
    skip: "{{{{ env_name == 'production' }}}}"
    expect:
      status: 404
      jsonpath:
        "$['ia::result']['ia::error'].code": notFound
"""


def main():
    argv = sys.argv[1:]
    if len(argv) == 3 and argv[0] == "smoke":
        write(os.path.join(argv[1], "smoke.yaml"), smoke_collection(int(argv[2])))
        return
    if len(argv) == 3 and argv[0] == "validate":
        for n in range(int(argv[2])):
            write(os.path.join(argv[1], f"c{n:05d}.yaml"), validate_collection(n))
        return
    if len(argv) == 4 and argv[0] == "emulator":
        for c in range(int(argv[2])):
            write(os.path.join(argv[1], f"c{c:02d}.yaml"), smoke_collection(int(argv[3]), f"Emulator {c}"))
        return
    if len(argv) >= 4 and argv[0] == "rows":
        # One collection of 1 KB GETs on nginx, run once per data row; the row's number goes in
        # the query, so every request renders a template with a row variable.
        reqs = requests_for("s", int(argv[2]), SMALL)
        write(os.path.join(argv[1], "rows", "rows.yaml"), courier_collection("rows", reqs, "?row={{ row }}"))
        for rows in argv[3:]:
            write(os.path.join(argv[1], f"rows{rows}.csv"), "row\n" + "".join(f"{i + 1}\n" for i in range(int(rows))))
        return
    if len(argv) != 2:
        sys.exit(__doc__)
    work = os.path.abspath(argv[0])
    port = int(argv[1])
    base = f"http://127.0.0.1:{port}"

    for i in range(SMALL):
        write(f"{work}/www/s/{i}.json", small_body(i))
    for i in range(LARGE):
        write(f"{work}/www/l/{i}.json", large_body(i))
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(f"{work}/nginx/tmp/{d}", exist_ok=True)
    write(f"{work}/nginx/nginx.conf", nginx_conf(work, port))

    workloads = {
        "small": requests_for("s", SMALL_REQUESTS, SMALL),
        "large": requests_for("l", LARGE_REQUESTS, LARGE),
    }
    write(f"{work}/courier/bench.yaml", f"scope: non-production\nvars:\n  base_url: {base}\n")
    for key, reqs in workloads.items():
        write(f"{work}/courier/{key}/{key}.yaml", courier_collection(key, reqs))
        write(f"{work}/hurl/{key}.hurl", hurl_file(base, reqs))


if __name__ == "__main__":
    main()
