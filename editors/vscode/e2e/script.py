"""Print the provider emulator's script for the VS Code end-to-end test (run.sh).

Usage: python script.py WORKSPACE > script.json

- inline (any model without its own script, e.g. gpt-5.3-codex-spark): one FILL answer; the next
  models of the inline chain (gpt-5.1-codex-mini, claude-haiku-4-5) answer the "next suggestion"
  request with two other ones;
- gpt-5.3-codex (function edits): docstrings for invoice_for, capture_payment, then refund_due (the
  function the inline step typed);
- claude-opus-4-6 (the workspace team, one teammate, so the turns come in this order): the lead
  assigns the rename of reserve_stock to hold_stock, the teammate edits every line that names it
  and says done, the lead approves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from codeswitch.testing.conversation import rename_edits

INLINE = "invoice.gross - invoice.vat"
SECOND, THIRD = "invoice.net", "invoice.gross * 0"  # the other suggestions to cycle through
OLD, NEW = "reserve_stock", "hold_stock"
RENAMED = ("inventory.py", "orders.py", "billing.py", "api.py")


def docstring_edit(signature: str, first_line: str, doc: str) -> str:
    return (f"<<<<<<< SEARCH\n{signature}\n{first_line}\n=======\n{signature}\n    \"\"\"{doc}\"\"\"\n"
            f"{first_line}\n>>>>>>> REPLACE\n")


def call(name: str, args: dict[str, object]) -> dict[str, object]:
    return {"name": name, "input": args}


def main(workspace: Path) -> dict[str, object]:
    files = [f for f in RENAMED if OLD in (workspace / f).read_text(encoding="utf-8")]
    edits = [{"name": c.name, "input": dict(c.input)}
             for f in files for c in rename_edits(f, (workspace / f).read_text(encoding="utf-8"), OLD, NEW)]
    return {
        "default": f"<FILL>{INLINE}</FILL>",
        "models": {
            # twice each: on a loaded machine the inline tier's hedge may ask the next model too
            "gpt-5.1-codex-mini": {"replies": [f"<FILL>{SECOND}</FILL>"] * 2},
            "claude-haiku-4-5": {"replies": [f"<FILL>{THIRD}</FILL>"] * 2},
            "gpt-5.3-codex": {"replies": [
                docstring_edit("def invoice_for(order: Order) -> Invoice:", "    net = order.total",
                               "The invoice for an order: its total plus VAT, rounded to cents."),
                docstring_edit("def capture_payment(order: Order, gateway_charge: object) -> Invoice:",
                               "    if order.status is not Status.RESERVED:",
                               "Charge a reserved order and mark it paid."),
                docstring_edit("def refund_due(invoice: Invoice) -> Decimal:", f"    return {INLINE}",
                               "What is due back on a refund: the net amount."),
            ]},
            "claude-opus-4-6": {"replies": [
                {"tool_calls": [call("assign_tasks", {"tasks": [
                    {"files": files, "instruction": f"rename {OLD} to {NEW} in these files"}]})]},
                {"tool_calls": edits},
                {"tool_calls": [call("done", {"summary": f"renamed {OLD} to {NEW}"})]},
                {"tool_calls": [call("approve", {"summary": f"renamed {OLD} to {NEW}"})]},
            ]},
        },
    }


if __name__ == "__main__":
    json.dump(main(Path(sys.argv[1])), sys.stdout, indent=1)
    print()
