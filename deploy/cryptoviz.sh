#!/bin/sh
# `cryptoviz` in the images that carry the operator command (the indexer's), installed
# as /usr/local/bin/cryptoviz: the same command as `python -m cryptoviz` from /app.
# The image installs no Python project, so there is no generated entry-point script.
exec python -m cryptoviz "$@"
