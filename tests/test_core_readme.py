"""The README's two set-up commands exist, and CI runs exactly the README's test command."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = text.split("## Set-up: two commands", 1)[1].split("##", 1)[0]
    return [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("    ./")]


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert commands == ["./run-benchmark", "./run-tests"]
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^\./run-tests\s*$", ci, re.M)
    for command in commands:
        path = REPO / command
        assert path.is_file() and path.stat().st_mode & 0o111, f"{command} is not executable"
        assert "scripts/install" in path.read_text()


def test_run_benchmark_runs_the_quick_preset():
    assert re.search(r"seebench\"? run quick", (REPO / "run-benchmark").read_text())
    proc = subprocess.run(["bash", "-n", str(REPO / "scripts" / "install")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_every_page_the_readme_links_exists():
    text = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(((?:docs|leaderboard)/[^)#]*)\)", text)
    assert "docs/families.md" in links and "docs/reliability.md" in links
    missing = [link for link in links if not (REPO / link).exists()]
    assert not missing, f"README links pages that do not exist: {missing}"
