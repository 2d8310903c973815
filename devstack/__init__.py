"""The real CryptoViz stack on one machine, natively, on loopback.

Two ZooKeeper nodes, one Kafka 3.9 broker in ZooKeeper mode and one
Elasticsearch 9 node, from Maven Central artifacts, started and stopped as
recorded processes. Used by every integration test, by benchmarks and by the
no-Docker run mode. ``python -m devstack up|status|down`` is the CLI; start
with `stack.Stack`, which starts, checks and stops each server.
"""

from devstack.exceptions import DevstackError
from devstack.stack import Endpoints, Stack

__all__ = ["DevstackError", "Endpoints", "Stack"]
