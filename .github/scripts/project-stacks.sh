#!/usr/bin/env bash
# Prints this repository's own stacks as a JSON array for a job matrix: one per
# Pulumi.<stack>.yaml beside Pulumi.yaml, sorted. The examples/ stacks are not
# the operator's, so a fresh fork previews and deploys nothing until it has one.
set -euo pipefail
shopt -s nullglob
for file in Pulumi.*.yaml; do
  name="${file#Pulumi.}"
  printf '%s\n' "${name%.yaml}"
done | jq -Rsc 'split("\n") | map(select(length > 0)) | sort'
