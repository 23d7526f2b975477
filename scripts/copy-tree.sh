#!/usr/bin/env bash
# Copy this work tree to DEST, for testing it as another user or in another
# root (scripts/test.sh, scripts/target-test.sh): the tracked files and the
# untracked ones git does not ignore, as they are in the work tree
# (uncommitted edits included, build products left out), and the history as
# a bare clone in DEST/.git (test/t/090_upgrade.pl builds released versions
# from it; a worktree's .git is only a pointer).  The work tree is only read:
# its files and their owners stay as they are.
# Usage: scripts/copy-tree.sh DEST
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: copy-tree.sh DEST}
rm -rf "$dest" && mkdir -p "$dest"
g() { git -c safe.directory='*' "$@"; }
if command -v git >/dev/null && [ "$(g rev-parse --is-inside-work-tree 2>/dev/null)" = true ]; then
	g ls-files -z --cached --others --exclude-standard |
		tar --null --no-recursion --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$dest"
	# copies, not hard links: runs that copy the same tree at once (the
	# majors in parallel) must not trip git's check of linked objects
	g clone -q --bare --no-hardlinks . "$dest/.git"
else
	# no repository (a release tarball): everything but build products
	tar --exclude-vcs --exclude=./dist --exclude=./tmp_check --exclude=./test/log \
		--exclude=./test/results --exclude=./test/tmp_check_regress --exclude=./test/tmp_release \
		--exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude='./pgclone--*.sql' \
		-cf - . | tar -xf - -C "$dest"
fi
