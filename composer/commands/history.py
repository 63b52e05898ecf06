"""``composer history``: the local history of submissions, as a table or as JSON lines."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from typing import Any

from composer.core.history import (
    HistoryError,
    HistoryQuery,
    HistoryStore,
    RunRecord,
    SubmissionDetail,
    SubmissionSummary,
)
from composer.core.history.records import iso
from composer.core.paths import history_db_path

DEFAULT_LIMIT = 20
_COLUMNS = ("ID", "SUBMITTED", "TARGET", "REQUEST", "RUNS", "STATUS", "INPUTS")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per line (with body and runs)"
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"show the N newest matching entries (default {DEFAULT_LIMIT})",
    )
    parser.add_argument(
        "--search",
        metavar="TEXT",
        help="words in the model/deployment id, target or input values, or a run/batch id",
    )
    parser.add_argument(
        "--status",
        metavar="S",
        help="success, failed, running, queued, cancelled, timeout, error, submitted, ...",
    )


def run(args: argparse.Namespace) -> int:
    """Print the entries; exit 1 with one line on stderr when the database cannot be read."""
    path = history_db_path()
    query = HistoryQuery(text=args.search, status=args.status)
    try:
        store = HistoryStore.open_existing(path)
        if store is None:
            if not args.json:
                print(f"No history yet ({path} is created by the first run you send).")
            return 0
        with store:
            page = store.search(query, limit=args.limit)
            if args.json:
                for summary in page.items:
                    print(json.dumps(_entry_json(store.get(summary.id)), ensure_ascii=False))
                return 0
            total = store.count(query) if page.has_more else len(page.items)
    except HistoryError as exc:  # damaged or too-new file, busy database: one line, no traceback
        print(f"composer: {exc}", file=sys.stderr)
        return 1
    if not page.items:
        print("No entries match." if args.search or args.status else "No entries yet.")
        return 0
    _print_table(page.items)
    if page.has_more:
        print(f"({len(page.items)} of {total} shown; use --limit N for more)", file=sys.stderr)
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _print_table(items: tuple[SubmissionSummary, ...]) -> None:
    rows = [
        (
            str(item.id),
            item.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            item.target_name,
            f"{item.kind} {item.subject_id or ''}".strip(),
            f"{item.runs_done}/{item.run_count}",
            item.status,
            item.inputs_preview,
        )
        for item in items
    ]
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS) - 1)]
    # On a terminal the inputs column is cut to fit the window; piped output keeps all of it.
    if sys.stdout.isatty():
        width = shutil.get_terminal_size((120, 24)).columns
        room = max(20, width - sum(widths) - 2 * len(widths))
    else:
        room = 10_000
    for row in [_COLUMNS, *rows]:
        cells = [row[0].rjust(widths[0])]
        cells += [cell.ljust(widths[i + 1]) for i, cell in enumerate(row[1:-1])]
        last = row[-1] if len(row[-1]) <= room else row[-1][: room - 1] + "…"
        print("  ".join([*cells, last]).rstrip())


def _entry_json(detail: SubmissionDetail) -> dict[str, Any]:
    summary = detail.summary
    return {
        "id": summary.id,
        "submitted_at": iso(summary.submitted_at),
        "target": summary.target_name,
        "base_url": summary.base_url,
        "method": summary.method,
        "path": summary.path,
        "kind": summary.kind,
        "subject_id": summary.subject_id,
        "batch_id": summary.batch_id,
        "run_count": summary.run_count,
        "runs_done": summary.runs_done,
        "status": summary.status,
        "error": summary.error,
        "body": detail.body,
        "redacted": detail.redacted,
        "runs": [_run_json(run) for run in detail.runs],
    }


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "batch_index": run.batch_index,
        "combination": run.combination,
        "status": run.status,
        "progress": run.progress,
        "created_at": iso(run.created_at),
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "cold_start_duration": run.cold_start_duration,
        "run_duration": run.run_duration,
        "error": run.error,
        "outputs": [
            {"kind": o.kind, "url": o.url, "filename": o.filename, "text": o.text}
            for o in run.outputs
        ],
    }
