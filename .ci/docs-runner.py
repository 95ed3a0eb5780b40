#!/usr/bin/env python3
"""Runs the documentation as a newcomer pastes it: every shell block of
README.md, then of docs/quick-start.md, in order, in one bash session with
`set -euo pipefail`, against the real server. Fails when a command fails or
when a block's shown output no longer matches.

The conventions (docs/development.md, "Documentation that runs"):

- A ```sh block runs. Its lines must hold no placeholders such as
  `<client id>`: whatever a newcomer would have to fill in, the block
  captures in a shell variable instead.
- A ```sh block right after the HTML comment `<!-- not run: why -->` is
  shown only (`cargo test`, which .ci/run runs itself).
- A ```text block right after a ```sh block is what that block prints on
  stdout. It is compared after normalising what changes from run to run:
  UUIDs, tokens (sw_...), timestamps and dates.
- A line that starts a server (`cargo run --release -- serve ...`,
  `target/release/stepwise serve ...`) blocks a newcomer's terminal; the
  runner starts it in the background, waits until its port takes
  connections (the first `cargo run` builds, which takes minutes) and stops
  it at the end.

Everything runs in a scratch copy of the checkout (the files git knows, in
TARGET/docs-runner/, emptied before and after), so a developer's own
stepwise-data/ is never touched; cargo builds into the checkout's target
directory TARGET (CARGO_TARGET_DIR is honoured). The documented
ports 50051 and 50052 are replaced by free ones, so a server already
running on the machine does not interfere.

Usage: .ci/docs-runner.py [--stepwise-binary PATH] [--keep]

--stepwise-binary runs PATH wherever the documentation says
`cargo run --release --`, to spare CI a second (release) build; without
it, cargo builds and runs as written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "docs/quick-start.md"]
DOCUMENTED_PORTS = ["50051", "50052"]
DEFAULT_PORT = "50051"
RUNNABLE = {"sh", "bash", "shell"}
NOT_RUN = re.compile(r"^<!--\s*not run\b.*-->$")
PLACEHOLDER = re.compile(r"<[a-z][a-z0-9 '_.-]*>")
SERVE = re.compile(r"^(cargo run --release -- |(\./)?target/release/stepwise |stepwise )serve\b")
# A whole run, the release build included, and one server's start.
RUN_TIMEOUT_SECS = 1800
SERVE_TIMEOUT_SECS = 900


@dataclass
class Block:
    """A fenced block of a document."""

    doc: str
    line: int
    lang: str
    text: str
    skipped: bool = False
    expected: "Block | None" = None
    index: int = 0

    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks_of(doc: str) -> list:
    """The fenced blocks of `doc`, each sh block with its shown output."""
    lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    previous = ""  # the last non-blank line outside a block
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith("```"):
            lang = stripped[3:].strip().split(" ")[0]
            start = i + 1
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                i += 1
            text = "\n".join(lines[start:i]) + "\n"
            block = Block(doc, start, lang, text, skipped=bool(NOT_RUN.match(previous)))
            if lang == "text" and blocks and blocks[-1].lang in RUNNABLE and previous == "```":
                blocks[-1].expected = block
            else:
                blocks.append(block)
            previous = "```"
        elif stripped:
            previous = stripped
        i += 1
    return [b for b in blocks if b.lang in RUNNABLE]


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def with_ports(text: str, ports: dict) -> str:
    for documented, free in ports.items():
        text = re.sub(rf"\b{documented}\b", free, text)
    return text


def normalise(text: str, ports: dict) -> str:
    """What stays the same from run to run."""
    for documented, free in ports.items():
        text = re.sub(rf"\b{free}\b", documented, text)
    text = re.sub(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>", text)
    text = re.sub(r"\bsw_[A-Za-z0-9_-]+", "<token>", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", "<time>", text)
    text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", "<date>", text)
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(lines)


def serve_line(line: str, ports: dict) -> str | None:
    """`__serve PORT command` for a line that starts a server, else None."""
    command = line.split(" #", 1)[0].strip()
    if not SERVE.match(command):
        return None
    listen = re.search(r"--listen[ =]\S*:(\d+)", command)
    port = listen.group(1) if listen else ports[DEFAULT_PORT]
    return f"__serve {port} {command}"


PRELUDE = r"""
set -Eeuo pipefail
__pids=()
# Each server runs in a process group of its own (setsid), so that stopping
# it reaches the server under `cargo run` too.
__stop_servers() {
  local pid
  for pid in "${__pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${__pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap __stop_servers EXIT
trap 'echo "docs-runner: failed in $(cat "$__OUT/current"): $BASH_COMMAND" >&2' ERR
__begin() {
  echo "$1" >"$__OUT/current"
  printf '\n==> %s\n' "$1" >&2
  sed 's/^/  | /' "$__OUT/$2.sh" >&2
}
# `cargo run --release -- ARGS` as the binary CI already built, if given.
cargo() {
  if [[ -n "$__STEPWISE" && "${1:-} ${2:-} ${3:-}" == "run --release --" ]]; then
    shift 3
    "$__STEPWISE" "$@"
  else
    command cargo "$@"
  fi
}
# A server started in the background, and waited for until its port takes
# connections (or it exits).
__serve() {
  local port=$1 log
  shift
  if [[ -n "$__STEPWISE" && "$*" == "cargo run --release -- "* ]]; then
    set -- "$__STEPWISE" "${@:5}"
  fi
  log="$__OUT/serve-$port.log"
  echo "  (in the background; its log: $log)" >&2
  setsid "$@" >"$log" 2>&1 </dev/null &
  __pids+=("$!")
  local pid=$! deadline=$((SECONDS + __SERVE_TIMEOUT))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "docs-runner: the server exited before listening on port $port; its log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "docs-runner: nothing listened on port $port within ${__SERVE_TIMEOUT}s" >&2
      return 1
    fi
    sleep 0.2
  done
}
"""


def script(blocks: list, ports: dict, out: Path) -> str:
    parts = [PRELUDE]
    for block in blocks:
        lines = []
        for line in with_ports(block.text, ports).splitlines():
            lines.append(serve_line(line, ports) or line)
        body = "\n".join(lines)
        (out / f"{block.index}.sh").write_text(block.text, encoding="utf-8")
        parts.append(f"__begin {block.where()} {block.index}")
        if block.expected is not None:
            parts.append(f"{{\n{body}\n}} >\"$__OUT/{block.index}.out\"")
            parts.append(f"cat \"$__OUT/{block.index}.out\"")
            parts.append(f"touch \"$__OUT/{block.index}.done\"")
        else:
            parts.append(body)
    parts.append('echo "docs-runner: every block ran" >&2')
    return "\n".join(parts) + "\n"


def target_dir() -> str:
    if os.environ.get("CARGO_TARGET_DIR"):
        return os.environ["CARGO_TARGET_DIR"]
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return json.loads(metadata.stdout)["target_directory"]


def scratch_copy(into: Path) -> None:
    """The files git knows (tracked, and new ones not ignored), as they are
    in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    folders = set()
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
            folders.update(Path(name).parents)
    # Folders keep their times too: build.rs watches proto/ as a whole, and
    # a new folder's time would make cargo rebuild the crate.
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        shutil.copystat(ROOT / folder, into / folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stepwise-binary", help="run this for `cargo run --release --`")
    parser.add_argument("--keep", action="store_true", help="keep the scratch dir")
    args = parser.parse_args()

    for tool in ["bash", "git", "cargo", "setsid", "grpcurl", "jq"]:
        if shutil.which(tool) is None:
            print(f"docs-runner: {tool} is not on PATH; the documentation needs it", file=sys.stderr)
            return 1
    binary = ""
    if args.stepwise_binary:
        binary = str(Path(args.stepwise_binary).resolve())
        if not os.access(binary, os.X_OK):
            print(f"docs-runner: {binary} is not an executable", file=sys.stderr)
            return 1

    blocks = [b for doc in DOCS for b in blocks_of(doc)]
    problems = []
    for block in blocks:
        if block.skipped:
            continue
        for offset, line in enumerate(block.text.splitlines()):
            if PLACEHOLDER.search(line):
                problems.append(f"{block.doc}:{block.line + offset}: a placeholder in a block that runs: {line.strip()}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    runnable = [b for b in blocks if not b.skipped]
    for index, block in enumerate(runnable):
        block.index = index
    print(f"docs-runner: {len(runnable)} blocks to run ({len(blocks) - len(runnable)} shown only)")

    ports = {documented: free_port() for documented in DOCUMENTED_PORTS}
    # Always the same place, under the target directory: cargo's
    # fingerprints hold the sources' path, so a copy elsewhere would rebuild
    # the crate on every run.
    target = target_dir()
    scratch = Path(target) / "docs-runner"
    shutil.rmtree(scratch, ignore_errors=True)
    checkout = scratch / "checkout"
    out = scratch / "out"
    out.mkdir(parents=True)
    try:
        scratch_copy(checkout)
        env = dict(os.environ)
        env.update({
            "CARGO_TARGET_DIR": target,
            "STEPWISE_LISTEN": f"127.0.0.1:{ports[DEFAULT_PORT]}",
            "STEPWISE_SERVER": f"http://127.0.0.1:{ports[DEFAULT_PORT]}",
            "__OUT": str(out),
            "__STEPWISE": binary,
            "__SERVE_TIMEOUT": str(SERVE_TIMEOUT_SECS),
        })
        (out / "current").write_text("the prelude")
        (scratch / "docs.sh").write_text(script(runnable, ports, out), encoding="utf-8")
        try:
            run = subprocess.run(["bash", str(scratch / "docs.sh")], cwd=checkout, env=env,
                                 stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT_SECS)
            status = run.returncode
        except subprocess.TimeoutExpired:
            print(f"docs-runner: the documentation did not finish within {RUN_TIMEOUT_SECS}s", file=sys.stderr)
            status = 1
        if status != 0:
            failed_in = (out / "current").read_text().strip()
            problems.append(f"{failed_in}: a command failed (exit status {status})")
        for block in runnable:
            if block.expected is None or not (out / f"{block.index}.done").exists():
                continue
            shown = normalise(block.expected.text, {})
            printed = normalise((out / f"{block.index}.out").read_text(encoding="utf-8"), ports)
            if shown != printed:
                problems.append(
                    f"{block.where()}: the output shown at {block.expected.where()} is not what it prints:\n"
                    f"--- shown (normalised)\n{shown}\n--- printed (normalised)\n{printed}"
                )
    finally:
        if args.keep:
            print(f"docs-runner: kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if problems:
        print("\ndocs-runner: FAILED\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print(f"docs-runner: {len(runnable)} blocks ran and printed what the documentation shows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
