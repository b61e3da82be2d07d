#!/usr/bin/env python3
"""Writes a configuration of several environments, each a copy of the demo's
(the same servers, its own clients): for the overview's screenshot and its
measurement.

    scripts/demo-envs.py DEMO_CONFIG OUT NAME[:plain][:protected][:nodb] ...

plain drops the copy's disposable mark; protected marks it protected instead;
nodb points its
database at a port where nothing listens. The first NAME is the default
environment; --overview-refresh D sets overview_refresh.
"""
import re
import sys

args = sys.argv[1:]
refresh = None
if "--overview-refresh" in args:
    i = args.index("--overview-refresh")
    refresh = args[i + 1]
    del args[i:i + 2]
src_path, out_path, specs = args[0], args[1], args[2:]
src = open(src_path).read()
head, env = src[:src.index("  demo:")], src[src.index("  demo:"):]
names = [s.split(":")[0] for s in specs]
head = head.replace("default_environment: demo", "default_environment: " + names[0])
if refresh:
    head = head.replace("refresh: 2s", "refresh: 2s\noverview_refresh: " + refresh)
body = ""
for spec in specs:
    name, *flags = spec.split(":")
    copy = env.replace("  demo:", "  " + name + ":", 1)
    if "plain" in flags:
        copy = copy.replace("    disposable: true\n", "")
    if "protected" in flags:
        copy = copy.replace("    disposable: true\n", "    protected: true\n")
    if "nodb" in flags:
        copy = re.sub(r"@127\.0\.0\.1:\d+/origin_db", "@127.0.0.1:1/origin_db", copy)
    body += copy
open(out_path, "w").write(head + body)
