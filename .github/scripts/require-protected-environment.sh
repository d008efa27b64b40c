#!/usr/bin/env bash
# require-protected-environment.sh <environment>: fails unless the GitHub
# environment exists with required reviewers. GitHub creates an environment a
# job names on first use, unprotected, which would let every push to main
# deploy without anyone approving it.
# Needs GH_TOKEN and REPO (owner/name); uses the gh CLI.
set -euo pipefail
environment="$1"
fix="create it under Settings → Environments → ${environment} with required reviewers (and main as its only deployment branch)"
if ! rules="$(gh api "repos/${REPO}/environments/${environment}" --jq '[.protection_rules[]?.type] | join(",")' 2>/dev/null)"; then
  echo "::error::environment ${environment} does not exist; ${fix}" >&2
  exit 1
fi
case ",${rules}," in
  *,required_reviewers,*) echo "environment ${environment} is protected (${rules})" ;;
  *) echo "::error::environment ${environment} has no required reviewers (rules: ${rules:-none}); ${fix}" >&2; exit 1 ;;
esac
