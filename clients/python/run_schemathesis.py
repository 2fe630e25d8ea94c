"""Run schemathesis against a fresh Sachet server with an admin token.

Starts a server, logs in as its admin, creates two shares that already have content (so
the content routes are also reached with ids that exist and answer 200, 206, 304 or 416),
runs `schemathesis run` on the committed document, then
confirms that the admin token still works: a run that lost its credentials halfway would
have tested nothing after that point, so that counts as a failure too.

Exit status: schemathesis's own, or 1 when the admin token did not survive.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import requests

from sachet_server import ADMIN_PASSWORD, ADMIN_USERNAME, REPO, running_server

HERE = Path(__file__).resolve().parent
DOCUMENT = REPO / "openapi" / "sachet.json"
CONFIG = HERE / "schemathesis.toml"
REPORT_DIR = REPO / "target" / "schemathesis"
SEED = "20260520"
MAX_EXAMPLES = "100"
# One worker: with two, hypothesis parses lambda sources with `ast` on two
# threads at once, which CPython 3.11 can fail with "AST constructor
# recursion depth mismatch" (seen once in CI, as a schemathesis error).
WORKERS = "1"
SEED_CONTENTS = {
    "notes.txt": b"Sachet seed content: plain text.\n" * 4,
    "blob.bin": bytes(range(256)),
}


def main() -> int:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    with running_server(log_dir=REPORT_DIR) as server:
        token = login(server.url, ADMIN_USERNAME, ADMIN_PASSWORD)
        for file_name, content in SEED_CONTENTS.items():
            create_share_with_content(server.url, token, file_name, content)

        command = schemathesis_command(server.url, token)
        print("+", " ".join(command).replace(token, "<admin token>"), flush=True)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
            "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
            "SACHET_PROTECTED_USERNAME": ADMIN_USERNAME,
            "SACHET_PROTECTED_TOKEN": token,
        }
        status = run_and_print_summary(command, env)

        if not admin_token_still_works(server.url, token):
            print("FAILED: the admin token lost its ADMIN rights during the run", file=sys.stderr)
            return status or 1
    return status


def schemathesis_command(url: str, token: str) -> list[str]:
    return [
        "schemathesis", "--config-file", str(CONFIG),
        "run", str(DOCUMENT),
        "--url", url,
        "--header", f"Authorization: Bearer {token}",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        # The hooks' filter is the only one in the run; see schemathesis_hooks.py.
        "--suppress-health-check", "filter_too_much",
        "--max-examples", MAX_EXAMPLES,
        "--seed", SEED,
        "--workers", WORKERS,
        "--request-timeout", "30",
        "--continue-on-failure",
        "--no-color",
        "--report", "junit,ndjson",
        "--report-dir", str(REPORT_DIR),
    ]  # fmt: skip


def run_and_print_summary(command: list[str], env: dict[str, str]) -> int:
    process = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.decode("utf-8", "replace")
    (REPORT_DIR / "output.txt").write_text(output)
    print(output, end="")
    summary = [line for line in output.splitlines() if line.startswith("=") and " in " in line]
    print(f"schemathesis summary: {summary[-1].strip('= ') if summary else '(no summary line)'}")
    return process.returncode


def login(url: str, username: str, password: str) -> str:
    response = requests.post(f"{url}/users/login", json={"username": username, "password": password})
    response.raise_for_status()
    return response.json()["auth_token"]


def create_share_with_content(url: str, token: str, file_name: str, content: bytes) -> None:
    response = requests.post(f"{url}/files", json={"file_name": file_name}, headers=bearer(token))
    response.raise_for_status()
    location = response.headers["Location"]

    chunk = {"dzuuid": str(uuid.uuid4()), "dzchunkindex": "0", "dztotalchunks": "1"}
    response = requests.post(
        f"{url}{location}/content",
        data=chunk,
        files={"upload": (file_name, content, "application/octet-stream")},
        headers=bearer(token),
    )
    response.raise_for_status()


def admin_token_still_works(url: str, token: str) -> bool:
    response = requests.get(f"{url}/whoami", headers=bearer(token))
    if response.status_code != 200:
        return False
    whoami = response.json()
    return whoami.get("username") == ADMIN_USERNAME and "ADMIN" in whoami.get("permissions", [])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


if __name__ == "__main__":
    sys.exit(main())
