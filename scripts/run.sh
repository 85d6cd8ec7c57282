#!/usr/bin/env bash
# The main job.  Until the service exists: simulate the example knee ice-bag scenario,
# print the table and write the plot.
set -euo pipefail
mkdir -p out
.venv/bin/cryotx simulate examples/knee_ice_bag.json --plot out/knee_ice_bag.png
echo "plot written to out/knee_ice_bag.png"
