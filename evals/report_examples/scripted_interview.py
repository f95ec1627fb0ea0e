"""A scripted payment-fraud interview through the real service and guide index, offline; writes
the report's Markdown to OUT.md and its JSON beside it. Reproduces evals/report_examples/.

    .venv/bin/python evals/report_examples/scripted_interview.py OUT.md [PROBLEM] [strong]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from interviewer.runtime import configure_offline

AVERAGE = {
    "requirements": "The goal is to cut fraud losses while keeping false declines low, since a "
    "blocked good customer costs us too. Scoring happens inside card authorisation so we have "
    "maybe 100 ms. I'd assume millions of transactions a day.",
    "framing": "Binary classification: predict the probability that a transaction is "
    "fraudulent, then a threshold decides block, review or allow.",
    "data": "Labels come from chargebacks and analyst reviews. I'd hold out 20% of the rows at "
    "random for the test set.",
    "features": "- user: account age, country, past chargebacks\n- transaction: amount, merchant "
    "category, time of day\n- velocity: number of transactions in the last hour",
    "modeling": "Start with rules as a baseline, then gradient boosted trees on the tabular "
    "features.",
    "evaluation": "We'll measure the fraud model by its accuracy on the test set.",
    "deployment": "Host it on GPUs, it should be fast enough.",
    "monitoring": "Track latency and errors.",
}
STRONG = {
    "requirements": "Goal: cut fraud losses in dollars while keeping false declines of good "
    "customers low; both errors cost money. Scoring is synchronous inside card authorisation, "
    "so p99 under 100 ms. Scale: roughly 50 million transactions a day, peaks of a few thousand "
    "per second. Do we have chargeback labels and analyst decisions already? Privacy: card data "
    "is PCI-scoped.",
    "framing": "Supervised binary classification: predict P(fraud) per transaction, then a "
    "cost-based threshold maps it to approve, step-up authentication or decline. Offline: PR-AUC "
    "and recall at a fixed false-positive rate, since positives are under 0.1%. Online: fraud "
    "loss rate and false decline rate, with approval rate as a guardrail.",
    "data": "Sources: the transaction log, account and device tables, merchant records, "
    "chargebacks and analyst reviews. Labels: a chargeback within 90 days marks fraud, so labels "
    "are delayed by weeks; I'd wait for the label window to close before training on a day. "
    "Split by time: train on older months and test on the latest month, never a random shuffle.",
    "features": "- account: age, country, past chargebacks\n- transaction: amount, merchant "
    "category, time of day\n- velocity: card transactions in the last hour and day, computed "
    "from a stream\n- cross: amount compared with the user's usual amount at this merchant "
    "category\nSame feature code for training and serving through a feature store, with "
    "point-in-time joins.",
    "modeling": "Baseline: the current rules engine. Then gradient boosted trees on tabular "
    "features, which handle missing values and are fast at inference; class weights for the "
    "imbalance and log loss so scores stay calibrated.",
    "evaluation": "We'll measure the fraud model by its accuracy on the test set, plus PR-AUC "
    "offline. Online, an A/B test randomised by card with fraud loss and false declines as "
    "metrics.",
    "deployment": "Online scoring in the authorisation path, with a shadow deployment first and "
    "then a canary on 1% of traffic before ramping up; keep the previous model for rollback.",
    "monitoring": "Track latency and errors, score distributions and the decline rate daily, and "
    "drift in features like amount and country; retrain weekly once the chargeback window "
    "closes.",
}
WRAP_UP = "Rules first then trees; trade-off is fraud caught versus good customers blocked."


def main(argv: list[str]) -> int:
    configure_offline()
    from interviewer.session.service import InterviewService

    out = Path(argv[0])
    problem = argv[1] if len(argv) > 1 else "fraud-detection"
    answers = STRONG if len(argv) > 2 and argv[2] == "strong" else AVERAGE
    with tempfile.TemporaryDirectory() as tmp:
        svc = InterviewService(Path(tmp) / "s.db", "offline")
        sid = svc.start(problem).id
        for _ in range(60):
            view = svc.get(sid)
            if view.stage not in answers:
                break
            svc.respond(sid, answers[view.stage])
            if svc.get(sid).stage == view.stage:  # a follow-up: move on, as the script did
                svc.respond(sid, "/next")
        svc.respond(sid, WRAP_UP)
        md = svc.report_markdown(sid)
        report = svc.get(sid).report
    out.write_text(md, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
