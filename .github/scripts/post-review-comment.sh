#!/usr/bin/env bash
# post-review-comment.sh <comment.md>: the pull request's one synth review
# comment, created on the first run and edited in place on every later push
# (found by its marker among the bot's comments), so pushes never pile up comments.
# Needs GH_TOKEN, REPO (owner/name) and PR (the number); uses the gh CLI.
set -euo pipefail
comment_file="$1"
marker='<!-- homelab-synth-review -->'
body="$(mktemp)"
{ printf '%s\n' "$marker"; cat "$comment_file"; } > "$body"

existing="$(gh api --paginate "repos/${REPO}/issues/${PR}/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"${marker}\"))) | .id" | head -n 1)"
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/${REPO}/issues/comments/${existing}" -F "body=@${body}" > /dev/null
  echo "updated review comment ${existing}"
else
  gh api --method POST "repos/${REPO}/issues/${PR}/comments" -F "body=@${body}" > /dev/null
  echo "created the review comment"
fi
