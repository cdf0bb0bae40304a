"""Run the examples of a Markdown document (the rules are in docs/README.md).

    blocks = parse(Path("docs/cli.md"))            # every fenced block, with its line
    with DocSession(Path("docs/cli.md"), repo) as session:
        problem = session.run(blocks[0])            # None, or a readable failure message

A document runs in its own temporary directory with one bash process (so ``cd``, variables and
``$?`` carry over between commands, as in a terminal) and one Python process (one namespace for
all its ``python`` blocks). Both are started lazily and kept for the document's later blocks.
"""

from __future__ import annotations

import difflib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\S*)[ \t]*$")
FILE_MARK = re.compile(r"^<!-- file: (\S+) -->$")
TEST_MARK = re.compile(r"^<!-- test: ([a-z ]+) -->$")
#: Words a ``<!-- test: ... -->`` line may hold.
TAGS = {"slow", "tensorflow"}
#: Languages a block may declare; anything else (or no language) is a docs error.
LANGUAGES = {"python", "console", "toml", "yaml", "text", "json", "bash"}
PLACEHOLDER = "<tmp>"
TIMEOUT = 600.0


@dataclass(frozen=True)
class Block:
    """One fenced block: its document, the line of its opening fence, language, text."""

    doc: str          # path relative to the repository root, e.g. "docs/cli.md"
    line: int         # 1-based line of the opening fence
    lang: str
    text: str
    file: str | None  # from a preceding ``<!-- file: NAME -->`` line
    tags: frozenset[str] = frozenset()  # from a preceding ``<!-- test: slow tensorflow -->``

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def parse(path: Path, root: Path) -> list[Block]:
    """Every fenced block of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang, name, tags = i, m.group(1), None, set()
        j = i - 1
        while j >= 0 and lines[j].startswith("<!--"):
            if FILE_MARK.match(lines[j]):
                name = FILE_MARK.match(lines[j]).group(1)
            elif TEST_MARK.match(lines[j]):
                tags.update(TEST_MARK.match(lines[j]).group(1).split())
            j -= 1
        if tags - TAGS:
            raise ValueError(f"{path}:{j + 2}: unknown test tag(s) {sorted(tags - TAGS)}")
        i += 1
        body = []
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        blocks.append(Block(path.relative_to(root).as_posix(), start + 1, lang,
                            "\n".join(body) + "\n", name, frozenset(tags)))
        i += 1
    return blocks


# -- transcripts ---------------------------------------------------------------------------

@dataclass
class Command:
    line: int            # document line of the ``$ `` line
    command: str
    expected: list[str]
    shown_exit: bool     # the transcript shows a non-zero exit status


EXIT_LINE = re.compile(r"^\[exit (\d+)\]$")
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?\s*$")


def transcript(block: Block) -> list[Command]:
    """The commands of a ``console`` block and the output expected from each."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    if lines and not lines[0].startswith("$ "):
        raise ValueError(f"{block.id}: a console block starts with a '$ ' command line")
    while i < len(lines):
        line_no, command = block.line + 1 + i, lines[i][2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command[:-1] + "\n" + lines[i]
        heredoc = HEREDOC.search(command)
        if heredoc:  # the here-document is part of the command, up to its delimiter line
            while i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]
                if lines[i] == heredoc.group(1):
                    break
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        commands.append(Command(line_no, command, expected, "$?" in command))
    for previous, following in zip(commands, commands[1:], strict=False):
        if "$?" in following.command:
            previous.shown_exit = True
    return commands


ELLIPSIS = re.compile(r"(?<!\.)\.\.\.(?!\.)")   # exactly three dots; longer runs are literal


def _line_regex(line: str) -> str:
    return ".*?".join(re.escape(part) for part in ELLIPSIS.split(line))


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` (with ``...`` wildcards) matches ``actual``; trailing blanks ignored."""
    pattern = "".join(r"(?:[^\n]*\n)*?" if line == "..." else _line_regex(line) + r"\n"
                      for line in expected)
    text = "".join(line + "\n" for line in actual)
    return re.fullmatch(pattern, text) is not None


def clean(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def show_diff(block: Block, cmd: Command, expected: list[str], actual: list[str]) -> str:
    """A unified diff; actual lines that match an expected line are shown as that line."""
    patterns = [(line, re.compile(_line_regex(line))) for line in expected if line != "..."]
    shown = [next((line for line, rx in patterns if rx.fullmatch(got)), got) for got in actual]
    diff = difflib.unified_diff(expected, shown, "expected (the document)", "actual output",
                                lineterm="", n=3)
    return (f"{block.doc}:{cmd.line}: `$ {cmd.command}` does not print what the document "
            "shows\n" + "\n".join(diff))


# -- the session -----------------------------------------------------------------------------

PY_SERVER = r"""
import contextlib, doctest, io, json, sys, traceback
ns = {"__name__": "__main__"}
proto = sys.stdout
while True:
    request = sys.stdin.readline()
    if not request:
        break
    req = json.loads(request)
    out, error = io.StringIO(), None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            if req["doctest"]:
                test = doctest.DocTestParser().get_doctest(req["code"], ns, req["name"],
                                                           req["file"], req["line"])
                runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
                report = io.StringIO()
                runner.run(test, out=report.write, clear_globs=False)
                if runner.failures:
                    error = report.getvalue()
            else:
                code = "\n" * req["line"] + req["code"]
                exec(compile(code, req["file"], "exec"), ns)
    except BaseException:
        kind, value, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
            tb = tb.tb_next
        error = "".join(traceback.format_exception(kind, value, tb))
    proto.write("\n__mdrun_reply__ " + json.dumps({"error": error, "output": out.getvalue()}) + "\n")
    proto.flush()
"""


def environment(repo: Path, home: Path) -> dict[str, str]:
    """Deterministic environment: the checkout's package and the venv's ``npzcontract``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "COV_", "FORCE_COLOR", "NPZCONTRACT"))}
    bindir = str(Path(sys.executable).parent)
    env.update(PATH=os.pathsep.join([bindir, env.get("PATH", "")]), PYTHONPATH=str(repo),
               COLUMNS="80", LINES="40", NO_COLOR="1", PY_COLORS="0", TERM="dumb", TZ="UTC",
               LC_ALL="C.UTF-8", LANG="C.UTF-8", PYTHONHASHSEED="0",
               PYTHONDONTWRITEBYTECODE="1", TF_CPP_MIN_LOG_LEVEL="3", NPZCONTRACT_REPO=str(repo),
               PYTEST_DEBUG_TEMPROOT=str(home))
    return env


class DocSession:
    """The temporary directory, shell and Python namespace of one document."""

    def __init__(self, doc: str, repo: Path) -> None:
        self.doc, self.repo = doc, repo
        self.base = Path(tempfile.mkdtemp(prefix="npzdocs-"))
        self.dir = self.base / "doc"
        (self.base / "tmp").mkdir()
        self.dir.mkdir()
        self.env = environment(repo, self.base / "tmp")
        self._bash: subprocess.Popen | None = None
        self._python: subprocess.Popen | None = None
        self.done = 0   # blocks run so far (in document order)

    def close(self) -> None:
        for proc in (self._bash, self._python):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> DocSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- placeholders
    def normalize(self, text: str) -> str:
        for path in {str(self.dir), str(self.dir.resolve())}:
            text = text.replace(path, PLACEHOLDER)
        return text

    # -- one block
    def run(self, block: Block) -> str | None:
        """Run ``block``; None when it does what the document says, else a message."""
        if block.file:
            target = self.dir / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
            return None
        runner = getattr(self, "_run_" + block.lang, None)
        if block.lang not in LANGUAGES or runner is None:
            return (f"{block.id}: a ```{block.lang} block is neither run nor allowed; "
                    f"use one of python, console, toml, yaml, text, json (docs/README.md)")
        return runner(block)

    def _run_text(self, block: Block) -> str | None:
        return None

    def _run_bash(self, block: Block) -> str | None:
        return (f"{block.id}: only the README's two install commands are ```bash blocks; "
                f"write a ```console transcript with '$ ' commands")

    def _run_json(self, block: Block) -> str | None:
        try:
            json.loads(block.text)
        except ValueError as exc:
            return f"{block.id}: not JSON: {exc}"
        return None

    def _run_yaml(self, block: Block) -> str | None:
        import yaml
        try:
            yaml.safe_load(block.text)
        except yaml.YAMLError as exc:
            return f"{block.id}: not YAML: {exc}"
        return None

    def _run_toml(self, block: Block) -> str | None:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            document = tomllib.loads(block.text)
        except ValueError as exc:
            return f"{block.id}: not TOML: {exc}"
        if "npzcontract" not in document.get("tool", {}):
            return None
        from pytest_npzcontract.contract.config import ConfigError, load_settings
        scratch = Path(tempfile.mkdtemp(dir=self.base))
        (scratch / "pyproject.toml").write_text(block.text, encoding="utf-8")
        try:
            load_settings(cwd=scratch).build_contract()
        except ConfigError as exc:
            return f"{block.id}: [tool.npzcontract] is not a valid configuration: {exc}"
        return None

    def _run_python(self, block: Block) -> str | None:
        if self._python is None:
            self._python = subprocess.Popen(
                [sys.executable, "-u", "-c", PY_SERVER], cwd=self.dir, env=self.env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
        is_doctest = block.text.lstrip().startswith(">>>")
        request = {"code": block.text, "file": block.doc, "line": block.line,
                   "doctest": is_doctest, "name": block.id}
        self._python.stdin.write(json.dumps(request) + "\n")
        self._python.stdin.flush()
        stray, deadline = [], time.monotonic() + TIMEOUT
        while True:
            reply = _readline(self._python, deadline - time.monotonic())
            if reply is None:
                return f"{block.id}: the Python process died or timed out\n" + "".join(stray)
            if reply.startswith("__mdrun_reply__ "):
                break
            stray.append(reply)
        answer = json.loads(reply.split(" ", 1)[1])
        if answer["error"]:
            return (f"{block.id}: the python block fails\n" + self.normalize(answer["error"])
                    + ("\noutput:\n" + answer["output"] if answer["output"] else ""))
        return None

    def _shell(self) -> subprocess.Popen:
        if self._bash is None:
            self._bash = subprocess.Popen(
                ["bash", "--noprofile", "--norc"], cwd=self.dir, env=self.env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
            self._bash.stdin.write("exec 2>&1\n")
        return self._bash

    def _run_console(self, block: Block) -> str | None:
        try:
            commands = transcript(block)
        except ValueError as exc:
            return str(exc)
        problems = []
        for cmd in commands:
            actual, status = self.shell(cmd.command)
            if status is None:
                problems.append(f"{block.doc}:{cmd.line}: `$ {cmd.command}` timed out or "
                                "killed the shell")
                break
            expected, wanted = clean(cmd.expected), None
            if expected and EXIT_LINE.match(expected[-1]):
                wanted = int(EXIT_LINE.match(expected[-1]).group(1))
                expected = clean(expected[:-1])
            actual = clean(self.normalize(actual).splitlines())
            if not matches(expected, actual):
                problems.append(show_diff(block, cmd, expected, actual))
            if wanted is not None and status != wanted:
                problems.append(f"{block.doc}:{cmd.line}: `$ {cmd.command}` exited {status}, "
                                f"the document shows [exit {wanted}]")
            elif wanted is None and status != 0 and not cmd.shown_exit:
                problems.append(f"{block.doc}:{cmd.line}: `$ {cmd.command}` exited {status}; "
                                "show a non-zero exit in the transcript ([exit N] or echo $?)")
        return "\n\n".join(problems) or None

    def shell(self, command: str) -> tuple[str, int | None]:
        """Run ``command`` in the document's shell: (stdout+stderr, exit status)."""
        bash = self._shell()
        token = f"__mdrun_{time.monotonic_ns()}__"
        bash.stdin.write(f"{{ {command}\n}} </dev/null\n"
                         f"__rc=$?; printf '\\n{token} %s\\n' \"$__rc\"; (exit $__rc)\n")
        bash.stdin.flush()
        lines, deadline = [], time.monotonic() + TIMEOUT
        while True:
            line = _readline(bash, deadline - time.monotonic())
            if line is None:
                return "".join(lines), None
            if line.startswith(token):
                status = int(line.split()[1])
                text = "".join(lines)
                return text[:-1] if text.endswith("\n") else text, status
            lines.append(line)


def _readline(proc: subprocess.Popen, timeout: float) -> str | None:
    """One line from ``proc``'s stdout, or None on end of file or timeout (then kill it)."""
    lines = _queues.get(proc.pid)
    if lines is None:
        lines = _queues[proc.pid] = queue.Queue()
        threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    try:
        line = lines.get(timeout=max(timeout, 0.0))
    except queue.Empty:
        line = None
    if line is None:
        proc.kill()
    return line


_queues: dict[int, queue.Queue] = {}


def _pump(proc: subprocess.Popen, lines: queue.Queue) -> None:
    for line in proc.stdout:
        lines.put(line)
    lines.put(None)
