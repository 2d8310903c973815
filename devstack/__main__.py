"""``python -m devstack fetch|up|status|down|docker|images``: the local real stack.

``fetch`` resolves the Maven artifacts into the cache (what ``make setup`` runs);

``docker`` starts the devstack's own Docker engine (no bridge, its own socket) and
prints ``{"docker_host": "unix://..."}``; ``images`` does that, then builds the
three service images on it (``cryptoviz/<name>:local``), making a Debian base image
when the default cannot be pulled, and prints the engine, base and tags as JSON.
``down`` stops the engine too;

``up`` and ``status`` print the endpoints as one JSON object on stdout;
``status`` adds an ``ok`` flag per service and exits 1 when any is down.
``sibling-env NAME`` prints, as shell ``export`` lines, the DEVSTACK_* variables
of a second stack beside this one (see `sibling_environment`).
Every failure is one line on stderr naming the cause and the fix, exit 2.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from devstack.exceptions import DevstackError
from devstack.settings import DevstackSettings, sibling_environment
from devstack.stack import ZOOKEEPERS, Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument(
        "command", choices=["fetch", "up", "status", "down", "docker", "images", "sibling-env"]
    )
    parser.add_argument("name", nargs="?", default="sibling", help="sibling-env: its name")
    args = parser.parse_args(argv)
    if args.command == "sibling-env":
        for key, value in sibling_environment(DevstackSettings(), args.name).items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    stack = Stack()
    try:
        if args.command == "up":
            print(stack.up().to_json(), flush=True)
            return 0
        if args.command == "docker":
            print(json.dumps({"docker_host": stack.docker()}), flush=True)
            return 0
        if args.command == "images":
            print(json.dumps(stack.images().to_dict()), flush=True)
            return 0
        if args.command == "fetch":
            stack.fetch()
            return 0
        if args.command == "down":
            stack.down()
            return 0
        ok = stack.status()
        endpoints = stack.endpoints
        report = {
            "zookeeper": [
                {"address": address, "ok": ok[name]}
                for address, name in zip(endpoints.zookeeper, ZOOKEEPERS, strict=True)
            ],
            "kafka": {"address": endpoints.kafka, "ok": ok["kafka"]},
            "elasticsearch": {"address": endpoints.elasticsearch, "ok": ok["elasticsearch"]},
        }
        print(json.dumps(report), flush=True)
        return 0 if all(ok.values()) else 1
    except DevstackError as err:
        print(f"devstack: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        stack.down()
        return 130


if __name__ == "__main__":
    sys.exit(main())
